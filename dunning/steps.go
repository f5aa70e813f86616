package dunning

import (
	"time"

	"github.com/recoupledger/recoup/domain"
)

// step is one kind of work an invoice can need. nextStep derives it from
// the invoice's state alone, so the same rule serves the first run, a
// replay after a restart and a re-check after a conflict: anything the
// ledger already records is simply not due any more.
type step int

const (
	stepNone          step = iota
	stepCharge             // first charge of a finalized invoice (InitialCharge)
	stepStart              // a failed attempt with no run: start dunning
	stepRetry              // a scheduled retry is due
	stepCardUpdated        // new card data after the run ended on a rule block
	stepSubscription       // a subscription effect of the run is not recorded yet
	stepUncollectible      // InvoiceLeftOverdue's uncollectible_at has come
	stepReminders          // send_invoice reminders to schedule
	stepPastDue            // send_invoice invoice too long past due
	stepNote               // a notification is due
)

// nextStep returns inv's earliest pending step and when it is due.
func (e *Engine) nextStep(inv *invoice) (step, time.Time, *note) {
	best, at := stepNone, time.Time{}
	consider := func(s step, t time.Time) {
		if best == stepNone || t.Before(at) {
			best, at = s, t
		}
	}
	if inv.live && inv.finalized {
		e.considerCollection(inv, consider)
		e.considerSendInvoice(inv, consider)
		if s, t := e.subscriptionStep(inv); s != stepNone {
			consider(s, t)
		}
	}
	var due *note
	for _, n := range inv.notes {
		if !n.done && (best == stepNone || n.at.Before(at)) {
			best, at, due = stepNote, n.at, n
		}
	}
	if best != stepNote {
		due = nil
	}
	if !inv.chargeRetryAt.IsZero() && (best == stepCharge || best == stepRetry) && at.Before(inv.chargeRetryAt) {
		at = inv.chargeRetryAt
	}
	return best, at, due
}

// nextWake is when inv next needs the engine (zero: never, until an event).
func (e *Engine) nextWake(inv *invoice) time.Time {
	_, at, _ := e.nextStep(inv)
	return at
}

func (e *Engine) considerCollection(inv *invoice, consider func(step, time.Time)) {
	if !inv.open() {
		return
	}
	if inv.overdue != nil && inv.overdue.UncollectibleAt != nil {
		consider(stepUncollectible, *inv.overdue.UncollectibleAt)
	}
	if inv.fin.CollectionMethod != domain.ChargeAutomatically || !inv.fin.AutoAdvance {
		return
	}
	last, r := inv.lastAttempt(), inv.run
	switch {
	case last == nil:
		if e.cfg.initialCharge {
			consider(stepCharge, inv.fin.OccurredAt)
		}
	case last.Outcome != domain.Failed:
	case r == nil:
		consider(stepStart, last.OccurredAt)
	case r.exhausted == nil && r.next != nil && r.next.AttemptNumber == last.AttemptNumber+1:
		consider(stepRetry, r.next.At)
	case r.exhausted != nil && inv.cardUpdatedAt.After(last.OccurredAt) && e.retriesLeft(inv) > 0:
		consider(stepCardUpdated, inv.cardUpdatedAt)
	}
}

func (e *Engine) considerSendInvoice(inv *invoice, consider func(step, time.Time)) {
	if !inv.open() || inv.fin.CollectionMethod != domain.SendInvoice || inv.fin.DueDate == nil {
		return
	}
	if len(e.missingReminders(inv)) > 0 {
		consider(stepReminders, inv.fin.OccurredAt)
	}
	if d := e.st.settings.UncollectibleAfterDays; d > 0 && inv.overdue == nil {
		consider(stepPastDue, inv.fin.DueDate.AddDate(0, 0, d))
	}
}

// missingReminders are the settings' reminders of a send_invoice invoice
// that are after its finalization and not yet scheduled.
func (e *Engine) missingReminders(inv *invoice) []domain.ReminderScheduled {
	s := e.st.settings
	due := *inv.fin.DueDate
	var want []domain.ReminderScheduled
	add := func(kind domain.ReminderKind, at time.Time) {
		if at.After(inv.fin.OccurredAt) {
			if _, ok := inv.reminders[reminderKey(kind, at)]; !ok {
				want = append(want, domain.ReminderScheduled{InvoiceID: inv.id, Kind: kind, At: at})
			}
		}
	}
	for _, d := range s.RemindBeforeDueDays {
		add(domain.ReminderBeforeDue, due.AddDate(0, 0, -d))
	}
	if s.RemindOnDue {
		add(domain.ReminderOnDue, due)
	}
	for _, d := range s.RemindAfterDueDays {
		add(domain.ReminderAfterDue, due.AddDate(0, 0, d))
	}
	return want
}

// subscriptionStep finds a subscription effect the run calls for that
// the subscription's stream does not record yet.
func (e *Engine) subscriptionStep(inv *invoice) (step, time.Time) {
	r := inv.run
	if r == nil || inv.fin.SubscriptionID == "" {
		return stepNone, time.Time{}
	}
	if e.subscriptionEffect(inv) == nil {
		return stepNone, time.Time{}
	}
	return stepSubscription, inv.lastAt
}

// subscriptionEffect returns the subscription event owed, or nil.
func (e *Engine) subscriptionEffect(inv *invoice) domain.Event {
	r := inv.run
	sub := e.st.subs[inv.fin.SubscriptionID]
	if sub == nil || sub.status == domain.SubscriptionCanceledSt || r.canceled {
		return nil
	}
	spec := r.started.Preset
	base := domain.Base{OccurredAt: e.clock.Now()}
	switch {
	case inv.status == domain.InvoicePaidStatus:
		if (r.pausedDuring || r.pausedAfter) && !r.resumed && sub.status == domain.SubscriptionPausedSt {
			return domain.SubscriptionResumed{Base: base, SubscriptionID: sub.id, Reason: "invoice_paid", InvoiceID: inv.id}
		}
	case r.exhausted != nil:
		switch spec.AfterSub {
		case domain.AfterCancel:
			return domain.SubscriptionCanceled{Base: base, SubscriptionID: sub.id, Reason: "payment_failed", InvoiceID: inv.id}
		case domain.AfterPause:
			if !r.pausedAfter && sub.status != domain.SubscriptionPausedSt {
				return domain.SubscriptionPaused{Base: base, SubscriptionID: sub.id, Reason: "payment_failed", InvoiceID: inv.id}
			}
		case domain.AfterKeepActive:
			if r.pausedDuring && !r.resumed && sub.status == domain.SubscriptionPausedSt {
				return domain.SubscriptionResumed{Base: base, SubscriptionID: sub.id, Reason: "dunning_ended", InvoiceID: inv.id}
			}
		}
	case inv.open():
		if spec.DuringRecovery == domain.DuringPause {
			if !r.pausedDuring && sub.status != domain.SubscriptionPausedSt {
				return domain.SubscriptionPaused{Base: base, SubscriptionID: sub.id, Reason: reasonDunning, InvoiceID: inv.id}
			}
		} else if !r.markedPastDue && sub.status == domain.SubscriptionActive {
			return domain.SubscriptionMarkedPastDue{Base: base, SubscriptionID: sub.id, InvoiceID: inv.id}
		}
	}
	return nil
}
