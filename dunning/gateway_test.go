package dunning

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// TestSameParameters: a processor compares a repeated key's payment, not
// the client's clock.
func TestSameParameters(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	base := ChargeRequest{IdempotencyKey: "in_1/1", InvoiceID: "in_1", CustomerID: "cus_1", PaymentMethodID: "pm_1",
		Amount: 1900, Currency: "usd", AttemptNumber: 1, Initiator: domain.InitiatorInitial, At: t0}
	for _, tc := range []struct {
		name   string
		change func(*ChargeRequest)
		same   bool
	}{
		{"identical", func(*ChargeRequest) {}, true},
		{"another time", func(r *ChargeRequest) { r.At = t0.Add(time.Hour) }, true},
		{"amount", func(r *ChargeRequest) { r.Amount = 1800 }, false},
		{"currency", func(r *ChargeRequest) { r.Currency = "eur" }, false},
		{"payment method", func(r *ChargeRequest) { r.PaymentMethodID = "pm_2" }, false},
		{"customer", func(r *ChargeRequest) { r.CustomerID = "cus_2" }, false},
		{"invoice", func(r *ChargeRequest) { r.InvoiceID = "in_2" }, false},
		{"initiator", func(r *ChargeRequest) { r.Initiator = domain.InitiatorRetry }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.change(&o)
			if got := base.SameParameters(o); got != tc.same {
				t.Fatalf("SameParameters = %v; want %v", got, tc.same)
			}
		})
	}
}

// TestChargeRepeatedAtAnotherTimeAfterARestart: an engine before a
// restart charged in_1 1,900 under in_1/1 a minute before and stopped
// before recording it; nothing changed in the ledger since. The engine now
// running decides the same charge at another time: the gateway answers it
// as the same payment, and the attempt is recorded once, with no other
// key charged before it.
func TestChargeRepeatedAtAnotherTimeAfterARestart(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, st, ps, x := pathEngine(t, flushPaths[0], nil)
	x.first["in_1/1"] = ChargeRequest{IdempotencyKey: "in_1/1", InvoiceID: "in_1", CustomerID: "cus_1", PaymentMethodID: "pm_1",
		Amount: 1900, Currency: "usd", AttemptNumber: 1, Initiator: domain.InitiatorInitial, At: t0.Add(-time.Minute)}
	appendAsOther(t, st, customerEvents(1, t0)...)
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(time.Hour)))
	if got := x.charged(); !slices.Equal(got, []string{"in_1/1"}) {
		t.Fatalf("charges %v; want in_1/1 once", got)
	}
	if n := countOf(streamTypes(t, ps, "invoice-in_1"), domain.TypePaymentAttempted); n != 1 {
		t.Fatalf("in_1: %d attempts written; want the repeated charge's one", n)
	}
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
	if got := x.charged(); len(got) < 2 || got[1] != "in_1/2" {
		t.Fatalf("charges %v; want dunning to go on with in_1/2", got)
	}
	checkChargedAsRecorded(t, ps, x)
}
