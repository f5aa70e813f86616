package backtest

import (
	"context"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// countingPlanner plans a retry a day after the last attempt and counts
// its calls.
type countingPlanner struct{ calls int }

func (p *countingPlanner) PlanRetry(_ context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	p.calls++
	last := rc.Attempts[len(rc.Attempts)-1].OccurredAt
	return domain.RetryPlan{Retry: true, At: last.Add(24 * time.Hour)}, nil
}

// A second replay of the same path is answered from the first one's plans
// without planning again; a context that left the path is planned afresh.
func TestPlanMemoReplaysThePath(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ctxAt := func(n int, now time.Time) domain.RetryContext {
		rc := domain.RetryContext{Now: now, RetriesLeft: 3 - (n - 1)}
		for i := range n {
			rc.Attempts = append(rc.Attempts, domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0.Add(time.Duration(i) * 24 * time.Hour)}})
		}
		return rc
	}
	path := []domain.RetryContext{ctxAt(1, t0), ctxAt(2, t0.Add(24*time.Hour)), ctxAt(3, t0.Add(48*time.Hour))}
	inner := &countingPlanner{}
	memo := &planMemo{p: inner}
	ctx := context.Background()
	var first []domain.RetryPlan
	for _, rc := range path {
		p, err := memo.PlanRetry(ctx, rc)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, p)
	}
	memo.rewind()
	for i, rc := range path {
		p, err := memo.PlanRetry(ctx, rc)
		if err != nil {
			t.Fatal(err)
		}
		if p.Retry != first[i].Retry || !p.At.Equal(first[i].At) {
			t.Errorf("step %d: replayed %+v, first %+v", i, p, first[i])
		}
	}
	if inner.calls != len(path) {
		t.Errorf("planner called %d times for two replays of %d decisions, want %d", inner.calls, len(path), len(path))
	}
	memo.rewind()
	if _, err := memo.PlanRetry(ctx, path[0]); err != nil {
		t.Fatal(err)
	}
	off := ctxAt(2, t0.Add(30*time.Hour)) // decided at another time
	p, err := memo.PlanRetry(ctx, off)
	if err != nil {
		t.Fatal(err)
	}
	if inner.calls != len(path)+1 || !p.At.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("off-path context: %d calls, plan %+v; want it planned afresh", inner.calls, p)
	}
}
