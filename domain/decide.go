package domain

import (
	"time"
)

// Situation is everything a dunning decision reads: the invoice and its
// subscription as rebuilt from their streams, the preset that would apply
// if a run started now (ResolvePreset), the current collection settings,
// the card's history for the network rules, and — for smart presets — the
// planner's answer. Decisions never modify it.
type Situation struct {
	Now          time.Time
	Invoice      *Invoice
	Subscription *Subscription // nil for one-off invoices

	// PresetID and Preset start a run; a run already started uses its
	// snapshot and ignores them.
	PresetID string
	Preset   PresetSpec
	// Settings are the account's current collection settings; a run uses
	// the snapshot it started with.
	Settings CollectionSettings
	// Card is the history of the payment method the next attempt would
	// charge, across invoices, including attempts already recorded.
	Card CardHistory
	// Plan is the retry planner's answer (see NeedsPlan) or an
	// exploration choice; nil for manual schedules.
	Plan *RetryPlan
}

// Reasons recorded on subscription and invoice events.
const (
	ReasonDunning          = "dunning"           // paused or past due while retries run
	ReasonPaymentFailed    = "payment_failed"    // after a failed run
	ReasonPaymentRecovered = "payment_recovered" // invoice paid
	ReasonKeepActive       = "dunning_ended_keep_active"
	ReasonInvoiceVoided    = "invoice_voided"
	ReasonOverdueDays      = "overdue_days"  // preset: leave overdue N days
	ReasonPastDueDays      = "past_due_days" // settings: 30/60/90 days past due
)

// decider applies the events it decides to private copies of the
// invoice and subscription, so that each step sees the state the earlier
// steps leave and the caller's state is never touched.
type decider struct {
	s   Situation
	inv *Invoice
	sub *Subscription
	out []Event
	err error
}

func newDecider(s Situation) *decider {
	d := &decider{s: s, inv: s.Invoice.Clone()}
	if s.Subscription != nil && s.Subscription.Status != "" {
		d.sub = s.Subscription.Clone()
	}
	return d
}

// do records a command's events, or its error; it reports success.
func (d *decider) do(events []Event, err error) bool {
	if d.err != nil {
		return false
	}
	if err != nil {
		d.err = err
		return false
	}
	for _, e := range events {
		switch e.StreamName() {
		case InvoiceStream(d.inv.ID):
			d.inv.Apply(e)
		case d.subStream():
			d.sub.Apply(e)
		}
		d.out = append(d.out, e)
	}
	return true
}

func (d *decider) subStream() string {
	if d.sub == nil {
		return "\x00"
	}
	return SubscriptionStream(d.sub.ID)
}

// result orders the events so that other streams come before the
// invoice's: the engine appends them in this order, and since every
// decision first checks state (is the subscription already paused?), a
// crash between the two appends repeats nothing and loses nothing: the
// invoice's pending decision is still visible and is taken again.
func (d *decider) result() ([]Event, error) {
	if d.err != nil {
		return nil, d.err
	}
	if len(d.out) == 0 {
		return nil, nil
	}
	own := InvoiceStream(d.inv.ID)
	out := make([]Event, 0, len(d.out))
	for _, e := range d.out {
		if e.StreamName() != own {
			out = append(out, e)
		}
	}
	for _, e := range d.out {
		if e.StreamName() == own {
			out = append(out, e)
		}
	}
	return out, nil
}

func (d *decider) held() bool {
	return d.sub != nil && d.sub.HeldBy == d.inv.ID &&
		(d.sub.Status == SubscriptionPausedSt || d.sub.Status == SubscriptionPastDue)
}
