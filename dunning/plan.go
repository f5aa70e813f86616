package dunning

import (
	"context"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Defaults for a smart preset that leaves its bounds unset.
const (
	defaultSmartRetries    = 4
	defaultSmartWindowDays = 14
)

// maxRetries is the preset's retry budget for a run.
func maxRetries(spec domain.PresetSpec) int {
	switch {
	case !spec.RetriesEnabled:
		return 0
	case spec.SmartRetries:
		if spec.SmartMaxRetries > 0 {
			return spec.SmartMaxRetries
		}
		return defaultSmartRetries
	default:
		return len(spec.Schedule)
	}
}

// windowEnd is the end of the run's retry window: the manual schedule's
// total span, or the smart preset's window, from the run's start.
func windowEnd(r *run) time.Time {
	spec := r.started.Preset
	days := 0
	if spec.SmartRetries {
		days = spec.SmartWindowDays
		if days <= 0 {
			days = defaultSmartWindowDays
		}
	} else {
		for _, d := range spec.Schedule {
			days += d
		}
	}
	return r.started.OccurredAt.AddDate(0, 0, days)
}

// retriesLeft counts the run's unused retries.
func (e *Engine) retriesLeft(inv *invoice) int {
	if inv.run == nil {
		return 0
	}
	used := len(inv.attempts) - inv.run.firstAttempt
	return maxRetries(inv.run.started.Preset) - used
}

// planNext decides what follows a failed attempt of a run: the next
// retry, at a time the network rules allow, or the end of the run.
func (e *Engine) planNext(ctx context.Context, inv *invoice, now time.Time) {
	r, last := inv.run, inv.lastAttempt()
	spec := r.started.Preset
	left := e.retriesLeft(inv)
	if left <= 0 {
		e.exhaust(inv, now)
		return
	}
	c := e.st.card(last.PaymentMethodID)
	earliest, rule := domain.EarliestRetry(c.history, now)
	if earliest.IsZero() {
		e.log.Debug("dunning: retries stop on network rule", "invoice", inv.id, "rule", rule)
		e.exhaust(inv, now)
		return
	}
	end := windowEnd(r)
	var def choice
	var plan domain.RetryPlan
	if spec.SmartRetries {
		var ok bool
		if plan, ok = e.smartPlan(ctx, inv, now, left, end); !ok {
			e.exhaust(inv, now)
			return
		}
		def = choice{At: plan.At, Source: domain.SourceSmart}
	} else {
		used := len(inv.attempts) - r.firstAttempt
		def = choice{At: last.OccurredAt.AddDate(0, 0, spec.Schedule[used]), Source: domain.SourceSchedule}
	}
	if ok, e2, _ := domain.RetryAllowed(c.history, def.At); !ok {
		if e2.IsZero() {
			e.exhaust(inv, now)
			return
		}
		def.At = e2
	}
	if spec.SmartRetries && def.At.After(end) {
		e.exhaust(inv, now)
		return
	}
	ch := e.exploreRetry(inv, last.AttemptNumber+1, def, maxTime(earliest, now.Add(time.Hour)), end, c)
	e.emitInvoice(inv, "retry/"+strconv.Itoa(last.AttemptNumber+1), domain.RetryScheduled{
		Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, AttemptNumber: last.AttemptNumber + 1,
		At: ch.At, Source: ch.Source, ModelVersion: plan.ModelVersion, Score: plan.Probability, Propensity: ch.Propensity,
	})
}

// exploreRetry applies exploration over the hourly slots of [from, end].
// Propensities treat every hour from the earliest allowed time as allowed;
// an explored hour the rules refuse (a cap binding later) moves to the
// earliest allowed time after it.
func (e *Engine) exploreRetry(inv *invoice, attempt int, def choice, from, end time.Time, c *card) choice {
	if e.cfg.exploreRate <= 0 || !end.After(from) {
		def.Propensity = 1
		return def
	}
	from = from.Truncate(time.Hour).Add(time.Hour)
	n := int(end.Sub(from)/time.Hour) + 1
	slots := make([]time.Time, n)
	for i := range slots {
		slots[i] = from.Add(time.Duration(i) * time.Hour)
	}
	ch := explore(e.cfg.exploreRate, e.cfg.seed, inv.id, attempt, def, slots)
	if ch.Source == domain.SourceExplore {
		if ok, e2, _ := domain.RetryAllowed(c.history, ch.At); !ok && !e2.IsZero() {
			ch.At = e2
		} else if !ok {
			return choice{At: def.At, Source: def.Source, Propensity: 1 - e.cfg.exploreRate}
		}
	}
	return ch
}

// smartPlan asks the planner, falling back to the heuristic if it fails.
func (e *Engine) smartPlan(ctx context.Context, inv *invoice, now time.Time, left int, end time.Time) (domain.RetryPlan, bool) {
	rc := e.retryContext(inv, now, left, end)
	plan, err := e.planner.PlanRetry(ctx, rc)
	if err != nil {
		e.log.Warn("dunning: retry planner failed; using "+HeuristicVersion, "invoice", inv.id, "err", err)
		plan, _ = HeuristicPlanner{}.PlanRetry(ctx, rc)
	}
	if !plan.Retry {
		return plan, false
	}
	plan.At = maxTime(plan.At, now)
	return plan, true
}

// retryContext is what the planner may know: the ledger up to now.
func (e *Engine) retryContext(inv *invoice, now time.Time, left int, end time.Time) domain.RetryContext {
	pm := e.paymentMethod(inv)
	c := e.st.card(pm)
	rc := domain.RetryContext{
		Now: now, InvoiceID: inv.id, Amount: inv.remaining(), Currency: inv.fin.Currency,
		PaymentMethodID: pm, Network: c.history.Network, Funding: c.funding, CardCountry: c.country,
		PaymentMethodUpdatedAt: c.updatedAt, Attempts: append([]domain.PaymentAttempted(nil), inv.attempts...),
		CardActivity: append([]time.Time(nil), c.activity...), RemindersSent: inv.remindersSent,
		Preset: inv.run.started.Preset, RetriesLeft: left, WindowEnd: end,
	}
	if cu := e.st.customers[inv.fin.CustomerID]; cu != nil {
		rc.CustomerCountry, rc.CustomerTimeZone = cu.country, cu.tz
	}
	for _, a := range c.history.Attempts {
		if now.Sub(a.At) <= 30*24*time.Hour {
			rc.CardAttempts = append(rc.CardAttempts, a.At)
		}
	}
	return rc
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
