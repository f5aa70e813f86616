package backtest

import (
	"context"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// loggedStep is one logged retry decision of an invoice.
type loggedStep struct {
	at         time.Time
	propensity float64
	success    bool
	before     []smartretry.Attempt // attempts before it
	decision   time.Time            // when it was planned (the previous attempt)
}

// logged returns inv's retry decisions within the window, and false when
// any of them lacks a logged propensity.
func (e *Estimator) logged(inv *Invoice, end time.Time) ([]loggedStep, bool) {
	h := e.Ledger.Invoices[inv.ID]
	var steps []loggedStep
	attempts := []smartretry.Attempt{inv.First}
	for _, a := range h.Attempts[1:] {
		if a.OccurredAt.After(end) {
			break
		}
		if a.Initiator != domain.InitiatorRetry {
			break // a customer or manual payment ends the policy's run
		}
		p := a.Propensity
		if a.Scheduled != nil && a.Scheduled.Propensity > 0 {
			p = a.Scheduled.Propensity
		}
		if p <= 0 {
			return nil, false
		}
		steps = append(steps, loggedStep{at: a.OccurredAt, propensity: p, success: a.Outcome == domain.Succeeded, before: append([]smartretry.Attempt(nil), attempts...), decision: attempts[len(attempts)-1].At})
		if a.Outcome == domain.Succeeded {
			break
		}
		attempts = append(attempts, smartretry.Attempt{At: a.OccurredAt, DeclineCode: a.DeclineCode, AdviceCode: a.AdviceCode})
	}
	return steps, len(steps) > 0
}

// ExpectDR is the doubly robust estimate of P(recovered) for inv under
// preset, or false when the invoice has no logged propensities. Walking
// the logged decisions backwards, a decision the candidate would also
// have made (same hour) replaces the model's value from there by the
// logged outcome, weighted by 1/propensity, around the model's value:
// DR_k = V̂_k + 1[match]/π_k · (Y_k − V̂_k), where Y_k is 1 if the invoice
// was recovered by that retry and DR_{k+1} otherwise; after the last
// logged decision the model's value stands in.
func (e *Estimator) ExpectDR(ctx context.Context, inv *Invoice, preset domain.PresetSpec) (float64, bool, error) {
	retries, window := smartretry.Budget(preset)
	steps, ok := e.logged(inv, inv.FailedAt.Add(window))
	if !ok {
		return 0, false, nil
	}
	rem := float64(inv.Reminders0)
	// values from each decision's state, forwards
	v := make([]float64, len(steps)+1)
	match := make([]bool, len(steps))
	for k, st := range steps {
		s := state{attempts: st.before, now: st.decision, rem: rem + float64(k)*e.Customer.PerFailure}
		x, err := e.expectFrom(ctx, inv, preset, s)
		if err != nil {
			return 0, false, err
		}
		v[k] = x.Recover
		if k >= retries {
			continue // the candidate would have stopped before this retry
		}
		at, ok, err := e.next(ctx, inv, preset, st.before, st.decision, s.rem, retries-k, inv.FailedAt.Add(window))
		if err != nil {
			return 0, false, err
		}
		match[k] = ok && absHours(at.Sub(st.at)) < 1
	}
	last := steps[len(steps)-1]
	tail := 0.0
	if last.success {
		tail = 1
	} else {
		after := append(append([]smartretry.Attempt(nil), last.before...), smartretry.Attempt{At: last.at, DeclineCode: last.before[len(last.before)-1].DeclineCode})
		x, err := e.expectFrom(ctx, inv, preset, state{attempts: after, now: last.at, rem: rem + float64(len(steps))*e.Customer.PerFailure})
		if err != nil {
			return 0, false, err
		}
		tail = x.Recover
	}
	v[len(steps)] = tail
	dr := tail
	for k := len(steps) - 1; k >= 0; k-- {
		st := steps[k]
		y := dr
		if st.success {
			y = 1
		}
		if match[k] {
			dr = v[k] + (y-v[k])/st.propensity
		} else {
			dr = v[k]
		}
	}
	return dr, true, nil
}

func absHours(d time.Duration) float64 {
	h := d.Hours()
	if h < 0 {
		return -h
	}
	return h
}
