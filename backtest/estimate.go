package backtest

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Expected is one invoice's expected outcome under a policy.
type Expected struct {
	Recover  float64 // P(recovered within the window)
	Amount   float64 // expected amount recovered
	Retries  float64 // expected retries made
	HoursRec float64 // E[hours to recovery · 1(recovered)]
	Churn    float64 // P(subscription canceled for failed payment)
}

// Estimator replays invoices against the fitted models.
type Estimator struct {
	Ledger *smartretry.Ledger
	// Outcome gives each retry's chance of success.
	Outcome  Outcome
	Customer CustomerHazard
	Rules    smartretry.Rules
	// Planner is used for smart presets.
	Planner Planner
}

// state is a point of an invoice's run: the attempts so far (all failed),
// the current time and the reminders sent.
type state struct {
	attempts []smartretry.Attempt
	now      time.Time
	rem      float64
	horizon  float64 // hours after the failure the run is cut at (0: none)
	// path, if set, are the logged retries: the run follows them, then
	// the preset.
	path []smartretry.Attempt
}

// Expect estimates invoice inv's outcome under preset.
func (e *Estimator) Expect(ctx context.Context, inv *Invoice, preset domain.PresetSpec) (Expected, error) {
	return e.ExpectUntil(ctx, inv, preset, 0)
}

// ExpectUntil is Expect with the run cut at horizon hours after the
// failure (0: the preset's whole window), for comparing two presets over
// the hours they share.
func (e *Estimator) ExpectUntil(ctx context.Context, inv *Invoice, preset domain.PresetSpec, horizon float64) (Expected, error) {
	s := state{attempts: []smartretry.Attempt{inv.First}, now: inv.FailedAt, rem: float64(inv.Reminders0), horizon: horizon}
	return e.expectFrom(ctx, inv, preset, s)
}

// ExpectLogged estimates inv's outcome, cut at horizon hours, along its
// logged run: the retries at the times they were made, with the declines
// they got, then (after the run ended in a recovery) the preset it used.
// Observed minus this is the invoice's residual, whatever policy chose the
// logged times, explorations included.
func (e *Estimator) ExpectLogged(ctx context.Context, inv *Invoice, horizon float64) (Expected, error) {
	s := state{attempts: []smartretry.Attempt{inv.First}, now: inv.FailedAt, rem: float64(inv.Reminders0), horizon: horizon}
	h := e.Ledger.Invoices[inv.ID]
	end := runEnd(inv, inv.Preset, 0)
	for _, a := range h.Attempts[1:] {
		if a.OccurredAt.After(end) || (a.Initiator != domain.InitiatorRetry && a.Initiator != domain.InitiatorManual) {
			break
		}
		s.path = append(s.path, smartretry.Attempt{At: a.OccurredAt, DeclineCode: a.DeclineCode, AdviceCode: a.AdviceCode, Succeeded: a.Outcome == domain.Succeeded})
		if a.Outcome == domain.Succeeded {
			break
		}
	}
	return e.expectFrom(ctx, inv, inv.Preset, s)
}

// runEnd is the end of inv's run under preset: its window (the default
// one when retries are off, since the customer can still pay), cut at
// the horizon if one is set.
func runEnd(inv *Invoice, preset domain.PresetSpec, horizon float64) time.Time {
	_, window := smartretry.Budget(preset)
	if window == 0 {
		_, window = smartretry.Budget(domain.DefaultPresetSpec())
	}
	if h := time.Duration(horizon * float64(time.Hour)); horizon > 0 && h < window {
		window = h
	}
	return inv.FailedAt.Add(window)
}

// expectFrom estimates the rest of inv's run under preset from s; the
// outcome counts from s on, the times from the first failure.
func (e *Estimator) expectFrom(ctx context.Context, inv *Invoice, preset domain.PresetSpec, s state) (Expected, error) {
	retries, _ := smartretry.Budget(preset)
	// The policy plans for its whole window; the outcome counts to end.
	windowEnd, end := runEnd(inv, preset, 0), runEnd(inv, preset, s.horizon)
	var x Expected
	surv := 1.0
	now := s.now
	attempts := append([]smartretry.Attempt(nil), s.attempts...)
	rem := s.rem
	retries -= len(attempts) - 1
	row := make([]float64, len(smartretry.FeatureNames()))
	customer := func(to time.Time) {
		if !to.After(now) {
			return
		}
		dh := to.Sub(now).Hours()
		lam := e.Customer.At(rem)
		pc := 1 - math.Exp(-lam*dh)
		x.Recover += surv * pc
		x.HoursRec += surv * pc * (now.Sub(inv.FailedAt).Hours() + meanInInterval(lam, dh))
		surv *= 1 - pc
		now = to
	}
	for k := 0; k < retries; k++ {
		var at time.Time
		var ok bool
		var err error
		done := len(attempts) - 1 // retries so far
		if done < len(s.path) {
			at, ok = s.path[done].At, true
		} else {
			at, ok, err = e.next(ctx, inv, preset, attempts, now, rem, retries-k, windowEnd)
		}
		if err == nil && !ok {
			// The rules forbid this card (a hard decline): the engine asks
			// again when new credentials arrive, and so does the replay.
			if u, found := e.updateAfter(inv, now, end); found {
				customer(u)
				at, ok, err = e.next(ctx, inv, preset, attempts, now, rem, retries-k, windowEnd)
			}
		}
		if ok && !at.After(now) {
			at = now.Add(time.Hour)
		}
		if err != nil {
			return x, err
		}
		if !ok || at.After(end) {
			break
		}
		// The retry is planned right after the last attempt, as the engine
		// does: what the ledger learns between then and the retry (card
		// activity, say) is not known to the model, in training or here.
		decision := attempts[len(attempts)-1].At
		if now.After(decision) {
			decision = now
		}
		if u, found := e.updateAfter(inv, decision, at.Add(-time.Nanosecond)); found {
			// New credentials before the retry: the engine plans again
			// when they arrive, so the retry is decided knowing them, as
			// the ledger's training rows are.
			decision = u
		}
		customer(at)
		c := e.caseAfter(inv, attempts, decision, rem)
		p := e.Outcome.Chance(&c, at, row)
		if !(p >= 0 && p <= 1) {
			// A malformed model answers NaN (smartretry.Mixture.Chance)
			// or worse; summed, it would turn every estimate into one.
			return x, fmt.Errorf("backtest: outcome: invoice %s: the chance of a retry at %v is %v, not a probability from 0 to 1", inv.ID, at.UTC().Format(time.RFC3339), p)
		}
		x.Retries += surv
		x.Recover += surv * p
		x.HoursRec += surv * p * at.Sub(inv.FailedAt).Hours()
		surv *= 1 - p
		failed := smartretry.Attempt{At: at, DeclineCode: attempts[len(attempts)-1].DeclineCode, AdviceCode: attempts[len(attempts)-1].AdviceCode}
		if _, found := e.updateAfter(inv, attempts[len(attempts)-1].At, at); found {
			// The last decline described the old credentials; a failure on
			// new ones is taken as a generic decline.
			failed.DeclineCode, failed.AdviceCode = genericDecline, ""
		}
		if done < len(s.path) && !s.path[done].Succeeded {
			failed = s.path[done] // the logged decline, as the ledger has it
		}
		attempts = append(attempts, failed)
		rem += e.Customer.PerFailure
	}
	customer(end)
	x.Amount = x.Recover * float64(inv.Amount)
	if preset.AfterSub == domain.AfterCancel && inv.SubscriptionID != "" {
		x.Churn = 1 - x.Recover
	}
	return x, nil
}

// caseAfter is the ledger's view of inv at decision after the given
// attempts, without what the logged run's own end wrote: a customer who
// paid by themselves updated their card as they paid, and that update is
// the logged outcome, which the candidate's run must not see as a fact
// (the customer's own payment is modelled by the customer hazard).
func (e *Estimator) caseAfter(inv *Invoice, attempts []smartretry.Attempt, decision time.Time, rem float64) smartretry.Case {
	c := e.Ledger.CaseAfter(inv.ID, attempts, decision, int(rem+0.5))
	if paid, ok := inv.paidByCustomer(); ok && !c.PMUpdatedAt.IsZero() && !c.PMUpdatedAt.Before(paid) {
		c.PMUpdatedAt = time.Time{}
		if u, found := e.lastUpdateBefore(inv, paid); found {
			c.PMUpdatedAt = u
		}
	}
	return c
}

// paidByCustomer is when the customer paid inv by themselves in the
// logged run, if they did.
func (inv *Invoice) paidByCustomer() (time.Time, bool) {
	if !inv.Recovered || !inv.ByCustomer {
		return time.Time{}, false
	}
	return inv.FailedAt.Add(time.Duration(inv.RecoveredH * float64(time.Hour))), true
}

// card is the ledger's history of inv's card.
func (e *Estimator) card(inv *Invoice) *smartretry.CardHistory {
	h := e.Ledger.Invoices[inv.ID]
	pm := h.Finalized.PaymentMethodID
	if len(h.Attempts) > 0 && h.Attempts[0].PaymentMethodID != "" {
		pm = h.Attempts[0].PaymentMethodID
	}
	return e.Ledger.Cards[pm]
}

// lastUpdateBefore is the last update of inv's card before t.
func (e *Estimator) lastUpdateBefore(inv *Invoice, t time.Time) (time.Time, bool) {
	var last time.Time
	if card := e.card(inv); card != nil {
		for _, u := range card.Updates {
			if u.Before(t) && u.After(last) {
				last = u
			}
		}
	}
	return last, !last.IsZero()
}

// genericDecline is the code a hypothetical failure on updated
// credentials is given.
const genericDecline = "do_not_honor"

// updateAfter is the first update of inv's card in (from, to], from the
// ledger, leaving out the one that came with a logged customer payment
// (see caseAfter).
func (e *Estimator) updateAfter(inv *Invoice, from, to time.Time) (time.Time, bool) {
	card := e.card(inv)
	if card == nil {
		return time.Time{}, false
	}
	paid, byCustomer := inv.paidByCustomer()
	for _, u := range card.Updates {
		if byCustomer && !u.Before(paid) {
			break
		}
		if u.After(from) && !u.After(to) {
			return u, true
		}
	}
	return time.Time{}, false
}

// meanInInterval is the mean time of an exponential(lam) event given that
// it falls in [0, d].
func meanInInterval(lam, d float64) float64 {
	if lam*d < 1e-6 {
		return d / 2
	}
	return 1/lam - d/math.Expm1(lam*d)
}

// next is the time of the next retry under preset after attempts, or
// false to stop.
func (e *Estimator) next(ctx context.Context, inv *Invoice, preset domain.PresetSpec, attempts []smartretry.Attempt, now time.Time, rem float64, left int, end time.Time) (time.Time, bool, error) {
	k := len(attempts) - 1 // retries so far
	if preset.SmartRetries {
		c := e.caseAfter(inv, attempts, now, rem)
		rc := c.Context(inv.ID, preset, left, end)
		plan, err := e.Planner.PlanRetry(ctx, rc)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("backtest %s: %w", inv.ID, err)
		}
		return plan.At, plan.Retry, nil
	}
	day := 0
	for i := 0; i <= k && i < len(preset.Schedule); i++ {
		day += preset.Schedule[i]
	}
	if k >= len(preset.Schedule) {
		return time.Time{}, false, nil
	}
	at := inv.FailedAt.Add(time.Duration(day) * 24 * time.Hour)
	if !at.After(now) {
		at = now.Add(time.Hour)
	}
	if e.Rules != nil {
		c := e.caseAfter(inv, attempts, at, rem)
		rc := c.Context(inv.ID, preset, left, end)
		earliest, _ := e.Rules(&rc, at)
		if earliest.IsZero() {
			return time.Time{}, false, nil
		}
		if earliest.After(at) {
			at = earliest
		}
	}
	return at, true, nil
}
