package simulator

import (
	"fmt"
	"math"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Fixed retries at fixed hours after the first failure, as a manual
// preset does. A slot the network rules do not allow yet is moved to the
// first allowed hour; later slots keep their times (or follow right
// after, never two retries in one hour).
type Fixed struct {
	Label string
	Slots []int // ascending hours after the first failure
}

func (f *Fixed) Name() string { return f.Label }

// Plan implements Policy.
func (f *Fixed) Plan(o *Observation) (int, bool) {
	k := len(o.Attempts) - 1 // retries done on this schedule
	if k >= len(f.Slots) {
		return 0, false
	}
	s, ok := o.Earliest(f.Slots[k])
	if !ok || s > o.Window() {
		return 0, false
	}
	return s, true
}

// EvenlySpaced is the fixed schedule that spreads a budget's retries
// evenly over its window: retry i at i·window/retries.
func EvenlySpaced(b Budget) *Fixed {
	f := &Fixed{Label: "fixed-even"}
	for i := 1; i <= b.Retries; i++ {
		f.Slots = append(f.Slots, int(math.Round(float64(i*b.Hours())/float64(b.Retries))))
	}
	return f
}

// FromPreset is the policy of a manual preset: its days between retries,
// the first counted from the failure, truncated to the budget.
func FromPreset(label string, p domain.PresetSpec, b Budget) (*Fixed, error) {
	if !p.RetriesEnabled {
		return &Fixed{Label: label}, nil
	}
	if p.SmartRetries {
		return nil, fmt.Errorf("preset %q: smart retries need a planner, not a fixed schedule", p.Name)
	}
	if len(p.Schedule) == 0 || len(p.Schedule) > domain.MaxManualRetries {
		return nil, fmt.Errorf("preset %q: schedule: must have 1 to %d retries, has %d", p.Name, domain.MaxManualRetries, len(p.Schedule))
	}
	f := &Fixed{Label: label}
	day := 0
	for i, d := range p.Schedule {
		if d < 1 {
			return nil, fmt.Errorf("preset %q: schedule[%d]: days between retries must be ≥ 1, got %d", p.Name, i, d)
		}
		day += d
		if day*24 > b.Hours() || len(f.Slots) == b.Retries {
			break
		}
		f.Slots = append(f.Slots, day*24)
	}
	return f, nil
}

// StripeLike is a fixed stand-in for Stripe's recommended "8 tries within
// 2 weeks": retries after 1, 2, 3, 5, 7, 9, 11 and 14 days (the days are
// ours; Stripe does not publish its times), truncated to the budget.
func StripeLike(b Budget) *Fixed {
	f := &Fixed{Label: "stripe-like"}
	for _, d := range []int{1, 2, 3, 5, 7, 9, 11, 14} {
		if d*24 <= b.Hours() && len(f.Slots) < b.Retries {
			f.Slots = append(f.Slots, d*24)
		}
	}
	return f
}

// PlannerFunc is anything that plans retries from the ledger's view of a
// dunning run, like the engine's RetryPlanner (the smart planner plugs in
// here without the simulator knowing it).
type PlannerFunc func(ctx domain.RetryContext) (domain.RetryPlan, error)

// Planner adapts a PlannerFunc to a Policy: each decision builds the
// RetryContext the engine would build from the ledger.
type Planner struct {
	Label  string
	Func   PlannerFunc
	Preset domain.PresetSpec // the smart preset; the budget sets its limits
}

func (p *Planner) Name() string { return p.Label }

// Plan implements Policy.
func (p *Planner) Plan(o *Observation) (int, bool) {
	ctx := o.RetryContext(p.Preset)
	plan, err := p.Func(ctx)
	if err != nil || !plan.Retry {
		return 0, false
	}
	h := plan.At.Sub(o.Inv.FailedAt).Hours()
	s := int(math.Ceil(h - 1e-9))
	if float64(s) <= o.Now {
		s = o.NextSlot()
	}
	return s, true
}

// RetryContext is the ledger's view of the run at o.Now.
func (o *Observation) RetryContext(preset domain.PresetSpec) domain.RetryContext {
	inv := o.Inv
	preset.SmartMaxRetries, preset.SmartWindowDays = o.Budget.Retries, o.Budget.WindowDays
	ctx := domain.RetryContext{
		Now: inv.SlotTime(o.Now), InvoiceID: inv.ID, Amount: inv.Amount, Currency: inv.Currency,
		CustomerCountry: inv.Country, CustomerTimeZone: inv.TimeZone,
		PaymentMethodID: "pm_" + inv.ID, Network: inv.Network, Funding: inv.Funding, CardCountry: inv.Country,
		RemindersSent: o.Reminders, Preset: preset, RetriesLeft: o.RetriesLeft,
		WindowEnd: inv.FailedAt.Add(time.Duration(o.Window()) * time.Hour),
	}
	if o.UpdatedAt >= 0 {
		t := inv.SlotTime(o.UpdatedAt)
		ctx.PaymentMethodUpdatedAt = &t
	}
	for i, a := range o.Attempts {
		at := inv.SlotTime(a.Slot)
		ini := domain.InitiatorRetry
		if i == 0 {
			ini = domain.InitiatorInitial
		}
		ctx.Attempts = append(ctx.Attempts, domain.PaymentAttempted{
			Base: domain.Base{OccurredAt: at}, InvoiceID: inv.ID, PaymentMethodID: ctx.PaymentMethodID,
			AttemptNumber: i + 1, Amount: inv.Amount, Currency: inv.Currency, Outcome: domain.Failed,
			DeclineCode: a.DeclineCode, NetworkDeclineCode: a.NetworkCode, AdviceCode: a.AdviceCode,
			Network: inv.Network, Funding: inv.Funding, Initiator: ini,
		})
		ctx.CardAttempts = append(ctx.CardAttempts, at)
	}
	for _, t := range o.Activity() {
		ctx.CardActivity = append(ctx.CardActivity, inv.SlotTime(t))
	}
	return ctx
}
