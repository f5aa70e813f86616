package backtest

import (
	"context"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// planMemo plans one invoice's replay once for several outcome models.
// A replay asks the planner along the path where every retry fails (the
// outcome model only weighs that path), so the same planner sees the same
// contexts whichever model scores the plans: the first replay records
// each plan, the next ones are answered from the record. A context that
// differs from the recorded one at that step is planned afresh, so a
// replay that left the path is never answered with another's plan.
type planMemo struct {
	p     Planner
	plans []memoPlan
	next  int // the step the next call is at
	// replaying is set once the first replay is over.
	replaying bool
}

// memoPlan is one recorded plan and what identifies its context.
type memoPlan struct {
	key  planKey
	plan domain.RetryPlan
}

// planKey is what the replay changes from one decision to the next,
// with the last attempt's time and decline and the window's end, so a
// context off the recorded path is never taken for the recorded one.
type planKey struct {
	now       time.Time
	attempts  int
	left      int
	reminders int
	updated   time.Time
	windowEnd time.Time
	lastAt    time.Time
	lastCode  string
}

func keyOf(rc *domain.RetryContext) planKey {
	k := planKey{now: rc.Now, attempts: len(rc.Attempts), left: rc.RetriesLeft, reminders: rc.RemindersSent, windowEnd: rc.WindowEnd}
	if rc.PaymentMethodUpdatedAt != nil {
		k.updated = *rc.PaymentMethodUpdatedAt
	}
	if n := len(rc.Attempts); n > 0 {
		last := &rc.Attempts[n-1]
		k.lastAt, k.lastCode = last.OccurredAt, last.DeclineCode
	}
	return k
}

// rewind starts the next replay of the same invoice from the first plan.
func (m *planMemo) rewind() {
	m.next, m.replaying = 0, true
}

// PlanRetry implements Planner.
func (m *planMemo) PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	k := keyOf(&rc)
	i := m.next
	m.next++
	if m.replaying {
		if i < len(m.plans) && m.plans[i].key == k {
			return m.plans[i].plan, nil
		}
		return m.p.PlanRetry(ctx, rc)
	}
	plan, err := m.p.PlanRetry(ctx, rc)
	if err == nil {
		m.plans = append(m.plans, memoPlan{key: k, plan: plan})
	}
	return plan, err
}
