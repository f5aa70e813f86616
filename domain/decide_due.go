package domain

import (
	"sort"
	"time"
)

// Due is what DecideDue found to do now.
type Due struct {
	// Events to append: decisions that need no outside action.
	Events []Event
	// Charge, when set, is an attempt to make now through the gateway;
	// record its outcome with Invoice.RecordAttempt, then call DecideDue
	// again.
	Charge *Charge
	// Reminders are emails to send now; record each with
	// Invoice.RecordReminderSent.
	Reminders []Reminder
}

// Charge is an attempt the engine must make. The pair (InvoiceID,
// AttemptNumber) identifies it, so a restart never charges twice.
type Charge struct {
	InvoiceID       string
	PaymentMethodID string
	AttemptNumber   int
	Amount          int64
	Currency        string
	Initiator       Initiator
	Source          RetrySource
	Propensity      float64
}

// Attempt returns the PaymentAttempted skeleton of the charge at a time;
// the engine fills in the outcome and codes from its gateway.
func (c Charge) Attempt(at time.Time) PaymentAttempted {
	return PaymentAttempted{Base: Base{OccurredAt: at}, InvoiceID: c.InvoiceID, PaymentMethodID: c.PaymentMethodID,
		AttemptNumber: c.AttemptNumber, Amount: c.Amount, Currency: c.Currency, Initiator: c.Initiator,
		Source: c.Source, Propensity: c.Propensity}
}

// DecideDue is the engine's one entry point: given the situation at
// s.Now, everything that is due for the invoice. It takes, in order, a
// pending finalization decision, a pending failure decision, a pending
// payment decision (reconcile, resume), the end of a blocked run, an
// uncollectible mark that has come due, then a due charge (initial or
// retry, re-checked against the network rules at fire time) and due
// reminders. Each step sees the state the earlier ones leave. It returns
// an empty Due when nothing is due; calling it again before its events
// are appended returns the same decisions.
func DecideDue(s Situation) (Due, error) {
	d := newDecider(s)
	d.onFinalized()
	d.onFailure()
	d.onPayment()
	d.blockedRunEnds()
	d.uncollectibleDue()
	charge := d.chargeDue()
	events, err := d.result()
	if err != nil {
		return Due{}, err
	}
	return Due{Events: events, Charge: charge, Reminders: d.inv.DueReminders(s.Now)}, nil
}

// blockedRunEnds exhausts a blocked run whose deadline has passed with no
// new card.
func (d *decider) blockedRunEnds() {
	run := d.inv.Run
	if d.inv.Status == InvoiceOpen && run.Active() && run.BlockedRule != "" && !run.BlockedUntil.After(d.s.Now) {
		d.exhaust()
	}
}

func (d *decider) uncollectibleDue() {
	if t, reason, ok := d.inv.uncollectibleAt(d.s.Settings); ok && !t.After(d.s.Now) {
		d.do(d.inv.MarkUncollectible(reason, d.s.Now))
	}
}

// uncollectibleAt is when an open invoice is to be marked uncollectible:
// the preset's "leave overdue N days", or the settings' 30/60/90 days
// past due (counted from the due date, or from finalization for invoices
// charged automatically), whichever comes first. The settings' mark
// waits while a run is active.
func (inv *Invoice) uncollectibleAt(settings CollectionSettings) (time.Time, string, bool) {
	if inv.Status != InvoiceOpen {
		return time.Time{}, "", false
	}
	var t time.Time
	reason := ""
	if inv.UncollectibleAt != nil {
		t, reason = *inv.UncollectibleAt, ReasonOverdueDays
	}
	if n := settings.UncollectibleAfterDays; n > 0 && !inv.Run.Active() {
		ref := inv.FinalizedAt
		if inv.DueDate != nil {
			ref = *inv.DueDate
		}
		if s := ref.Add(time.Duration(n) * day); reason == "" || s.Before(t) {
			t, reason = s, ReasonPastDueDays
		}
	}
	return t, reason, reason != ""
}

// chargeDue returns the attempt due now, if any. A retry the network
// rules no longer allow (the card's history changed since it was
// planned) is postponed, or the run blocked, instead.
func (d *decider) chargeDue() *Charge {
	inv, now := d.inv, d.s.Now
	if d.err != nil || inv.Status != InvoiceOpen || inv.NextPaymentAttempt == nil || inv.NextPaymentAttempt.After(now) {
		return nil
	}
	c := &Charge{InvoiceID: inv.ID, PaymentMethodID: inv.PaymentMethodID, AttemptNumber: inv.AttemptCount + 1,
		Amount: inv.AmountRemaining, Currency: inv.Currency}
	if inv.awaitsInitialCharge() {
		// The first charge of an invoice is a new transaction, not a
		// reattempt; the networks' retry rules start after it.
		c.Initiator = InitiatorInitial
		return c
	}
	// No run, no retry: an invoice with no run is charged only by
	// awaitsInitialCharge.
	if inv.Run == nil || !inv.Run.Active() || inv.Run.PendingRetry == nil {
		return nil
	}
	pending := inv.Run.PendingRetry
	if ok, _, _ := RetryAllowed(d.s.Card, now); !ok {
		r := *pending
		r.OccurredAt, r.At = now, now // a late timer plans from now, never the past
		d.place(r, inv.Run.Preset.SmartRetries)
		return nil
	}
	c.Initiator, c.Source, c.Propensity = InitiatorRetry, pending.Source, pending.Propensity
	return c
}

// DueReminders are the scheduled emails due at now and not yet sent.
// Nothing goes to a paid or void invoice's customer; the due-date
// reminders go out only while the invoice is open, but a payment_failed
// email still reaches the customer of an invoice the same failure wrote
// off.
func (inv *Invoice) DueReminders(now time.Time) []Reminder {
	var out []Reminder
	for _, r := range inv.Reminders {
		if !r.Sent && !r.At.After(now) && inv.reminderLive(r) {
			out = append(out, r)
		}
	}
	return out
}

func (inv *Invoice) reminderLive(r Reminder) bool {
	switch inv.Status {
	case InvoiceOpen:
		return true
	case InvoiceUncollectible:
		return r.Kind == ReminderPaymentFailed
	}
	return false
}

// TimerKind says what a timer is for.
type TimerKind string

const (
	TimerDecision      TimerKind = "decision"      // a finalization or failure decision is pending
	TimerCharge        TimerKind = "charge"        // initial charge or retry (next_payment_attempt)
	TimerReminder      TimerKind = "reminder"      // a scheduled email
	TimerRunDeadline   TimerKind = "run_deadline"  // a blocked run ends
	TimerUncollectible TimerKind = "uncollectible" // mark uncollectible
)

// Timer is one thing that will be due for an invoice.
type Timer struct {
	Kind TimerKind
	At   time.Time
}

// Timers lists everything pending for the invoice, earliest first, given
// the current settings. The engine arms a timer for the first and calls
// DecideDue when it fires; timers come from recorded events only, so a
// restart rebuilds them exactly.
func (inv *Invoice) Timers(settings CollectionSettings) []Timer {
	var out []Timer
	if inv.finalizationWork(settings) {
		out = append(out, Timer{TimerDecision, inv.FinalizedAt})
	}
	if inv.FailurePending() {
		out = append(out, Timer{TimerDecision, inv.LastAttempt.OccurredAt})
	}
	if inv.reconcilable(inv.settingsInForce(settings)) {
		out = append(out, Timer{TimerDecision, inv.LastPaymentAt})
	}
	if inv.Status == InvoiceOpen && inv.NextPaymentAttempt != nil {
		out = append(out, Timer{TimerCharge, *inv.NextPaymentAttempt})
	}
	if inv.Status == InvoiceOpen && inv.Run.Active() && inv.Run.BlockedRule != "" {
		out = append(out, Timer{TimerRunDeadline, inv.Run.BlockedUntil})
	}
	if t, _, ok := inv.uncollectibleAt(settings); ok {
		out = append(out, Timer{TimerUncollectible, t})
	}
	for _, r := range inv.Reminders {
		if !r.Sent && inv.reminderLive(r) {
			out = append(out, Timer{TimerReminder, r.At})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// NextTimer is the earliest of Timers; ok is false when nothing is
// pending (a paid, void or uncollectible invoice, or one left overdue for
// good).
func (inv *Invoice) NextTimer(settings CollectionSettings) (Timer, bool) {
	ts := inv.Timers(settings)
	if len(ts) == 0 {
		return Timer{}, false
	}
	return ts[0], true
}
