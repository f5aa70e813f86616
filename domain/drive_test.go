package domain

import (
	"testing"
	"time"
)

// ledger is a tiny in-memory engine for decision tests: it holds the
// invoice, subscription and card, applies every decided event, and fires
// timers in order through DecideDue, charging through a fake gateway. It
// is the loop the dunning engine runs, minus I/O.
type ledger struct {
	t        *testing.T
	inv      *Invoice
	sub      *Subscription
	card     CardHistory
	presetID string
	preset   PresetSpec
	settings CollectionSettings
	planner  func(RetryContext) RetryPlan
	gateway  func(c Charge, a PaymentAttempted) PaymentAttempted
	log      []Event
	// lose, when set, filters the events of a charge's outcome before they
	// are applied: a crash between appends.
	lose    func([]Event) []Event
	charges []Charge
	sent    []Reminder
	now     time.Time
}

func newLedger(t *testing.T, preset PresetSpec, settings CollectionSettings) *ledger {
	l := &ledger{t: t, inv: &Invoice{}, sub: &Subscription{}, card: CardHistory{PaymentMethodID: "pm_1", Network: Visa},
		presetID: "dp_1", preset: preset, settings: settings, now: t0}
	l.gateway = declineWith("insufficient_funds", "51", "")
	l.apply(subStarted())
	return l
}

func (l *ledger) apply(events ...Event) {
	for _, e := range events {
		l.log = append(l.log, e)
		switch e.StreamName() {
		case SubscriptionStream("sub_1"):
			l.sub.Apply(e)
		case InvoiceStream("in_1"):
			l.inv.Apply(e)
		}
		l.card.Observe(e)
	}
}

func (l *ledger) situation() Situation {
	s := Situation{Now: l.now, Invoice: l.inv, Subscription: l.sub, PresetID: l.presetID, Preset: l.preset,
		Settings: l.settings, Card: l.card}
	if NeedsPlan(s) && l.planner != nil {
		p := l.planner(s.RetryContext())
		s.Plan = &p
	}
	return s
}

// fire takes everything due at l.now.
func (l *ledger) fire() error {
	for range 10 {
		due, err := DecideDue(l.situation())
		if err != nil {
			return err
		}
		l.apply(due.Events...)
		for _, r := range due.Reminders {
			l.sent = append(l.sent, r)
			evs, err := l.inv.RecordReminderSent(r, "email", "", l.now)
			if err != nil {
				l.t.Fatal(err)
			}
			l.apply(evs...)
		}
		if due.Charge == nil {
			if len(due.Events) == 0 && len(due.Reminders) == 0 {
				return nil
			}
			continue
		}
		l.charges = append(l.charges, *due.Charge)
		a := l.gateway(*due.Charge, due.Charge.Attempt(l.now))
		evs, err := RecordPaymentAttempt(l.situation(), a)
		if err != nil {
			return err
		}
		if l.lose != nil {
			evs = l.lose(evs)
		}
		l.apply(evs...)
	}
	l.t.Fatal("decisions did not settle")
	return nil
}

// runUntil fires timers in order up to t0+offset.
func (l *ledger) runUntil(offset time.Duration) {
	l.t.Helper()
	end := t0.Add(offset)
	for range 200 {
		if err := l.fire(); err != nil {
			l.t.Fatal(err)
		}
		tm, ok := l.inv.NextTimer(l.settings)
		if !ok || tm.At.After(end) {
			l.now = end
			return
		}
		if tm.At.After(l.now) {
			l.now = tm.At
		}
	}
	l.t.Fatal("too many timers")
}

func (l *ledger) finalize(f InvoiceFinalized) {
	l.t.Helper()
	evs, err := l.inv.Finalize(f)
	if err != nil {
		l.t.Fatal(err)
	}
	l.apply(evs...)
}

func declineWith(code, network, advice string) func(Charge, PaymentAttempted) PaymentAttempted {
	return func(_ Charge, a PaymentAttempted) PaymentAttempted {
		a.Outcome, a.DeclineCode, a.NetworkDeclineCode, a.AdviceCode = Failed, code, network, advice
		return a
	}
}

// succeedOn declines with insufficient funds until attempt n.
func succeedOn(n int) func(Charge, PaymentAttempted) PaymentAttempted {
	decline := declineWith("insufficient_funds", "51", "")
	return func(c Charge, a PaymentAttempted) PaymentAttempted {
		if c.AttemptNumber >= n {
			a.Outcome = Succeeded
			return a
		}
		return decline(c, a)
	}
}

// attemptTimes are the times of the charges made, as offsets from t0.
func (l *ledger) attemptTimes() []time.Duration {
	var out []time.Duration
	for _, e := range l.log {
		if a, ok := e.(PaymentAttempted); ok {
			out = append(out, a.OccurredAt.Sub(t0))
		}
	}
	return out
}

func eventsOf[T Event](log []Event) []T {
	var out []T
	for _, e := range log {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func days(ds ...float64) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(d * float64(day))
	}
	return out
}
