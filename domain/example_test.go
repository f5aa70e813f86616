package domain_test

import (
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// The engine's loop for one invoice: rebuild state from events, ask
// DecideDue, append its events, make the charge it asks for, record the
// outcome with RecordPaymentAttempt, and arm a timer for NextTimer.
func ExampleDecideDue() {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	inv := &domain.Invoice{} // a one-off invoice: no subscription to route events to
	card := domain.CardHistory{PaymentMethodID: "pm_1", Network: domain.Visa}
	apply := func(events []domain.Event) {
		for _, e := range events {
			if e.StreamName() == domain.InvoiceStream("in_1") {
				inv.Apply(e)
			}
			card.Observe(e)
		}
	}
	evs, _ := inv.Finalize(domain.InvoiceFinalized{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", CustomerID: "cus_1",
		PaymentMethodID: "pm_1", Amount: 2500, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true})
	apply(evs)

	now := t0
	for range 3 {
		s := domain.Situation{Now: now, Invoice: inv, PresetID: domain.BuiltinDefaultPresetID,
			Preset: domain.DefaultPresetSpec(), Settings: domain.CollectionSettings{}, Card: card}
		due, err := domain.DecideDue(s)
		if err != nil {
			panic(err)
		}
		apply(due.Events)
		if c := due.Charge; c != nil {
			a := c.Attempt(now)
			a.Outcome, a.DeclineCode = domain.Failed, "insufficient_funds" // the gateway's answer
			evs, _ := domain.RecordPaymentAttempt(s, a)
			apply(evs)
			fmt.Printf("attempt %d at %s failed; next_payment_attempt %s\n", c.AttemptNumber,
				now.Format("Jan 2"), inv.NextPaymentAttempt.Format("Jan 2"))
		}
		tm, _ := inv.NextTimer(domain.CollectionSettings{})
		now = tm.At
	}
	// Output:
	// attempt 1 at Mar 2 failed; next_payment_attempt Mar 3
	// attempt 2 at Mar 3 failed; next_payment_attempt Mar 5
	// attempt 3 at Mar 5 failed; next_payment_attempt Mar 9
}

func ExampleRetryAllowed() {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	card := domain.CardHistory{Network: domain.Mastercard}
	card.Add(domain.CardAttempt{At: t0, Declined: true, DeclineCode: "do_not_honor", AdviceCode: "25"})
	ok, earliest, rule := domain.RetryAllowed(card, t0.Add(time.Hour))
	fmt.Println(ok, earliest.Sub(t0), rule)

	card.Add(domain.CardAttempt{At: t0.Add(2 * 24 * time.Hour), Declined: true, DeclineCode: "do_not_honor", AdviceCode: "21"})
	ok, earliest, rule = domain.RetryAllowed(card, t0.Add(5*24*time.Hour))
	fmt.Println(ok, earliest.IsZero(), rule)
	// Output:
	// false 24h0m0s mastercard.advice25.wait_24h
	// false true mastercard.advice21.never
}
