package dunning

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// TestCustomerAttemptBeforeTheInitialCharge: another writer records a
// customer-initiated attempt (failed) on an invoice the engine has not
// charged yet. The invoice has no dunning run, so the engine must not
// read one; the customer's attempt does not stand in for the automatic
// collection, so the engine makes the initial charge as attempt 2, its
// failure starts dunning, and retries follow.
func TestCustomerAttemptBeforeTheInitialCharge(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, st, ps, x := pathEngine(t, flushPaths[0], nil)
	appendAsOther(t, st, customerEvents(1, t0)...)
	appendAsOther(t, st, domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
		AttemptNumber: 1, Amount: 1900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorCustomer})
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(time.Hour)))
	if got := x.charged(); !slices.Equal(got, []string{"in_1/2"}) {
		t.Fatalf("charges %v; want the initial charge as in_1/2", got)
	}
	if req, _, _ := x.sent("in_1/2"); req.Initiator != domain.InitiatorInitial || req.Amount != 1900 {
		t.Fatalf("in_1/2 sent as %s for %d; want the initial charge of 1900", req.Initiator, req.Amount)
	}
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
	types := streamTypes(t, ps, "invoice-in_1")
	if countOf(types, domain.TypeDunningStarted) != 1 || countOf(types, domain.TypePaymentAttempted) < 3 {
		t.Fatalf("invoice stream %v; want dunning started once after the initial charge, and retries", types)
	}
	inv := e.Invoice("in_1")
	if inv.Attempts[0].Initiator != domain.InitiatorCustomer || inv.Attempts[1].Initiator != domain.InitiatorInitial || inv.Attempts[2].Initiator != domain.InitiatorRetry {
		t.Fatalf("attempts %+v; want customer, initial, retry", inv.Attempts)
	}
}
