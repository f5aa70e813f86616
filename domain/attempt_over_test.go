package domain

import (
	"errors"
	"testing"
	"time"
)

// TestAttemptForMoreThanRemains: another writer's payment of 100 lowered
// what remains of a 1,000 invoice to 900 while a charge of 1,000 was in
// flight. The engine's own charge (RecordPaymentAttempt) is recorded as
// charged when it failed (no money moved), and starts dunning; a success
// for more than remains is refused (the money cannot be applied), and so
// is an attempt of no amount. RecordAttempt, which the API's outside
// writers use, keeps the stricter rule: 1 to what remains.
func TestAttemptForMoreThanRemains(t *testing.T) {
	given := []Event{finalized(1000), PartialPaymentReceived{Base: at(0), InvoiceID: "in_1", Amount: 100}}
	failed := attempt(1, time.Minute, Failed, "insufficient_funds")
	succeeded := attempt(1, time.Minute, Succeeded, "")
	zero := failed
	zero.Amount = 0
	for _, tc := range []struct {
		name   string
		record func(s Situation, a PaymentAttempted) ([]Event, error)
		a      PaymentAttempted
		ok     bool
	}{
		{"engine failed", RecordPaymentAttempt, failed, true},
		{"engine succeeded", RecordPaymentAttempt, succeeded, false},
		{"engine zero", RecordPaymentAttempt, zero, false},
		{"outside failed", func(s Situation, a PaymentAttempted) ([]Event, error) { return s.Invoice.RecordAttempt(a) }, failed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := situationOf(given, t0.Add(time.Minute))
			evs, err := tc.record(s, tc.a)
			if !tc.ok {
				var ve *ValidationError
				if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "amount" {
					t.Fatalf("events %v, err %v; want the amount refused", evs, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			inv := RebuildInvoice(append(append([]Event(nil), given...), evs...))
			if inv.AttemptCount != 1 || inv.AmountRemaining != 900 || inv.Run == nil || inv.NextPaymentAttempt == nil {
				t.Fatalf("after %v: %d attempts, %d remaining, run %v; want the attempt recorded, 900 remaining, dunning started with a retry", evs, inv.AttemptCount, inv.AmountRemaining, inv.Run)
			}
		})
	}
}
