package dunning

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// maxStepsPerWake bounds the steps one wake-up may take for an invoice
// (charge, plan, subscription effect, notes...), against a bug looping.
const maxStepsPerWake = 32

// act performs every step of inv that is due at now, in order.
func (e *Engine) act(ctx context.Context, inv *invoice, now time.Time) error {
	for range maxStepsPerWake {
		s, at, n := e.nextStep(inv)
		if s == stepNone || at.After(now) {
			break
		}
		if err := e.do(ctx, inv, s, n, now); err != nil {
			return err
		}
		if s == stepCharge || s == stepRetry || s == stepCardUpdated {
			if !inv.chargeRetryAt.IsZero() && inv.chargeRetryAt.After(now) {
				break // the gateway failed; wait before trying again
			}
		}
	}
	if s, at, _ := e.nextStep(inv); s != stepNone && !at.After(now) {
		// Still due after every step ran: a decision that records nothing.
		// Park the invoice until its next event rather than spin.
		e.log.Error("dunning: invoice makes no progress; parked until its next event", "invoice", inv.id, "step", int(s))
		inv.wake = at
		return nil
	}
	e.rearm(inv)
	return nil
}

func (e *Engine) do(ctx context.Context, inv *invoice, s step, n *note, now time.Time) error {
	switch s {
	case stepCharge:
		return e.charge(ctx, inv, now, 1, domain.InitiatorInitial, "", 0)
	case stepStart:
		e.startRun(ctx, inv, now)
	case stepRetry:
		next := inv.run.next
		return e.retry(ctx, inv, now, next.AttemptNumber, next.Source, next.Propensity)
	case stepCardUpdated:
		e.resumeAfterCardUpdate(inv, now)
	case stepSubscription:
		ev := e.subscriptionEffect(inv)
		e.emitSubscription(inv, ev)
	case stepUncollectible:
		e.emitInvoice(inv, "uncollectible", domain.InvoiceMarkedUncollectible{
			Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, Reason: "overdue_period_ended"})
	case stepReminders:
		for _, r := range e.missingReminders(inv) {
			r.OccurredAt = now
			e.emitInvoice(inv, "reminder/"+reminderKey(r.Kind, r.At), r)
		}
	case stepPastDue:
		d := e.st.settings.UncollectibleAfterDays
		e.emitInvoice(inv, "uncollectible", domain.InvoiceMarkedUncollectible{
			Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, Reason: fmt.Sprintf("%d_days_past_due", d)})
	case stepNote:
		return e.send(ctx, inv, n, now)
	}
	return nil
}

// retry makes a scheduled attempt, if the network rules still allow it
// now (another invoice may have used the card's budget meanwhile): if not,
// the retry moves to the earliest allowed time, or the run ends.
func (e *Engine) retry(ctx context.Context, inv *invoice, now time.Time, attempt int, src domain.RetrySource, prop float64) error {
	c := e.st.card(e.paymentMethod(inv))
	ok, earliest, rule := domain.RetryAllowed(c.history, now)
	if !ok {
		if earliest.IsZero() {
			e.log.Info("dunning: retry forbidden by network rule", "invoice", inv.id, "rule", rule)
			e.exhaust(inv, now)
			return nil
		}
		e.emitInvoice(inv, "retry/"+strconv.Itoa(attempt)+"/moved/"+strconv.FormatInt(earliest.Unix(), 10), domain.RetryScheduled{
			Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, AttemptNumber: attempt, At: earliest,
			Source: src, ModelVersion: inv.run.next.ModelVersion, Score: inv.run.next.Score, Propensity: prop})
		return nil
	}
	return e.charge(ctx, inv, now, attempt, domain.InitiatorRetry, src, prop)
}

// charge calls the gateway and records the attempt together with what
// follows it: payment, or the start or continuation of dunning.
func (e *Engine) charge(ctx context.Context, inv *invoice, now time.Time, attempt int, init domain.Initiator, src domain.RetrySource, prop float64) error {
	pm := e.paymentMethod(inv)
	amount := inv.remaining()
	res, err := e.gateway.Charge(ctx, ChargeRequest{
		IdempotencyKey: inv.id + "/" + strconv.Itoa(attempt), InvoiceID: inv.id, CustomerID: inv.fin.CustomerID,
		PaymentMethodID: pm, Amount: amount, Currency: inv.fin.Currency, AttemptNumber: attempt, Initiator: init, At: now,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.log.Warn("dunning: charge outcome unknown; will try again", "invoice", inv.id, "attempt", attempt, "err", err)
		inv.chargeRetryAt = now.Add(time.Minute)
		return nil
	}
	inv.chargeRetryAt = time.Time{}
	c := e.st.card(pm)
	key := "attempt/" + strconv.Itoa(attempt)
	e.emitInvoice(inv, key, domain.PaymentAttempted{
		Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, PaymentMethodID: pm, AttemptNumber: attempt,
		Amount: amount, Currency: inv.fin.Currency, Outcome: res.Outcome, DeclineCode: res.DeclineCode,
		NetworkDeclineCode: res.NetworkDeclineCode, AdviceCode: res.AdviceCode, Network: c.history.Network,
		Funding: c.funding, Initiator: init, Source: src, Propensity: prop, ChargeID: res.ChargeID,
	})
	if res.Outcome == domain.Succeeded {
		e.emitInvoice(inv, key+"/succeeded", domain.PaymentSucceeded{
			Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, Amount: amount, AttemptNumber: attempt, ChargeID: res.ChargeID})
		e.emitInvoice(inv, "paid", domain.InvoicePaid{Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, AmountPaid: inv.fin.Amount})
		return nil
	}
	if inv.run == nil {
		e.startRun(ctx, inv, now)
	} else {
		e.planNext(ctx, inv, now)
	}
	return nil
}

// paymentMethod is the card to charge: the invoice's, else its
// subscription's.
func (e *Engine) paymentMethod(inv *invoice) string {
	if inv.fin.PaymentMethodID != "" {
		return inv.fin.PaymentMethodID
	}
	if s := e.st.subs[inv.fin.SubscriptionID]; s != nil {
		return s.pmID
	}
	if last := inv.lastAttempt(); last != nil {
		return last.PaymentMethodID
	}
	return ""
}

// startRun snapshots the preset and settings and plans the first retry.
func (e *Engine) startRun(ctx context.Context, inv *invoice, now time.Time) {
	id, spec := e.st.presetFor(inv.fin.ProductID)
	e.emitInvoice(inv, "dunning", domain.DunningStarted{
		Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, SubscriptionID: inv.fin.SubscriptionID,
		PresetID: id, Preset: spec, Settings: e.st.settings,
	})
	e.planNext(ctx, inv, now)
}

// resumeAfterCardUpdate gives a run that ended on a rule block a new
// attempt on the new card data, now, if the rules allow it.
func (e *Engine) resumeAfterCardUpdate(inv *invoice, now time.Time) {
	last := inv.lastAttempt()
	c := e.st.card(e.paymentMethod(inv))
	if ok, _, _ := domain.RetryAllowed(c.history, now); !ok {
		inv.cardUpdatedAt = time.Time{} // still blocked: nothing to resume
		return
	}
	e.emitInvoice(inv, "retry/"+strconv.Itoa(last.AttemptNumber+1)+"/card_updated", domain.RetryScheduled{
		Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, AttemptNumber: last.AttemptNumber + 1, At: now,
		Source: domain.SourceSchedule, Propensity: 1,
	})
}

// exhaust ends the run and applies the preset's outcome to the invoice;
// the subscription's outcome follows as its own step.
func (e *Engine) exhaust(inv *invoice, now time.Time) {
	n := strconv.Itoa(len(inv.attempts))
	b := domain.Base{OccurredAt: now}
	e.emitInvoice(inv, "exhausted/"+n, domain.DunningExhausted{Base: b, InvoiceID: inv.id, Attempts: len(inv.attempts)})
	spec, settings := inv.run.started.Preset, inv.run.started.Settings
	switch spec.AfterInvoice {
	case domain.InvoiceWriteOff:
		e.emitInvoice(inv, "written_off/"+n, domain.InvoiceWrittenOff{Base: b, InvoiceID: inv.id, Amount: inv.remaining()})
	case domain.InvoiceLeaveOverdueDays:
		at := now.AddDate(0, 0, max(spec.OverdueDays, 1))
		e.emitInvoice(inv, "overdue/"+n, domain.InvoiceLeftOverdue{Base: b, InvoiceID: inv.id, UncollectibleAt: &at})
	default: // leave overdue; the account settings may still mark it uncollectible
		ev := domain.InvoiceLeftOverdue{Base: b, InvoiceID: inv.id}
		if d := settings.UncollectibleAfterDays; d > 0 {
			from := inv.run.started.OccurredAt
			if inv.fin.DueDate != nil {
				from = *inv.fin.DueDate
			}
			at := from.AddDate(0, 0, d)
			ev.UncollectibleAt = &at
		}
		e.emitInvoice(inv, "overdue/"+n, ev)
	}
}
