package dunning

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// heldAfterRestart sets up in_1 with its charge held: an engine before a
// restart charged 1,900 under in_1/1 and stopped before recording it;
// since, another writer recorded a partial payment of 100, and the engine
// now running decides 1,800 under in_1/1, which the gateway refuses as a
// key reused (ErrKeyReused). It checks the charge was sent once and is
// held, at t0 plus an hour.
func heldAfterRestart(t *testing.T, t0 time.Time) (*Engine, eventstore.Store, *effects) {
	t.Helper()
	e, st, _, x := pathEngine(t, flushPaths[0], nil)
	x.first["in_1/1"] = ChargeRequest{IdempotencyKey: "in_1/1", InvoiceID: "in_1", CustomerID: "cus_1", PaymentMethodID: "pm_1",
		Amount: 1900, Currency: "usd", AttemptNumber: 1, Initiator: domain.InitiatorInitial, At: t0}
	appendAsOther(t, st, customerEvents(1, t0)...)
	appendAsOther(t, st, domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", Amount: 100})
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(time.Hour)))
	if got := x.charged(); !slices.Equal(got, []string{"in_1/1"}) {
		t.Fatalf("charges %v; want in_1/1 once, refused", got)
	}
	if held := e.st.invoices["in_1"].chargeHeld; held != "in_1/1" {
		t.Fatalf("held charge %q; want in_1/1", held)
	}
	return e, st, x
}

// TestHeldChargeOrphanedIsNotSentAgain: an engine before a restart
// charged in_1 1,900 under in_1/1 and stopped before recording it; since,
// another writer recorded a partial payment of 100. The engine now
// running decides 1,800 under in_1/1, which the gateway refuses
// (ErrKeyReused): the charge is held. The customer's own attempt is then
// recorded as number 1, so no decision names in_1/1 again. A held key is
// definite: it is not settled by sending it again (the gateway would
// refuse it every time), and since the first request may have taken the
// money, no later key of in_1 is charged either.
func TestHeldChargeOrphanedIsNotSentAgain(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, st, x := heldAfterRestart(t, t0)
	appendAsOther(t, st, domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0.Add(2 * time.Hour)}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
		AttemptNumber: 1, Amount: 1800, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorCustomer})
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(3*24*time.Hour)))
	if got := x.charged(); !slices.Equal(got, []string{"in_1/1"}) {
		t.Fatalf("%d charges %v; want in_1/1 once, held, and no later key while it is unreconciled", len(got), got[:min(len(got), 10)])
	}
	if inv := e.st.invoices["in_1"]; inv.chargeHeld != "in_1/1" {
		t.Fatalf("held charge %q; want in_1/1", inv.chargeHeld)
	}
	if at := e.nextWake(e.st.invoices["in_1"]); !at.IsZero() && !at.After(t0.Add(3*24*time.Hour)) {
		t.Fatalf("in_1 wakes at %v; want nothing due while its only charge is held", at)
	}
}

// TestDeclineTheLedgerRefusesIsHeld: the gateway declines in_1/1 with a
// decline code the ledger does not know, so the domain refuses the
// attempt on an invoice that still takes payments. Deciding it again would
// send the same request and meet the same refusal: the charge is held
// after one call, not forgotten and sent again.
func TestDeclineTheLedgerRefusesIsHeld(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var keys []string
	gw := GatewayFunc(func(_ context.Context, r ChargeRequest) (ChargeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, r.IdempotencyKey)
		return ChargeResult{Outcome: domain.Failed, DeclineCode: "not_a_decline_code"}, nil
	})
	st, _ := flushPaths[0].openStore(t)
	e, err := New(st, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	appendAsOther(t, st, customerEvents(1, t0)...)
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(3*24*time.Hour)))
	mu.Lock()
	got := slices.Clone(keys)
	mu.Unlock()
	if !slices.Equal(got, []string{"in_1/1"}) {
		t.Fatalf("%d charges %v; want in_1/1 once, then held", len(got), got[:min(len(got), 10)])
	}
	if inv := e.st.invoices["in_1"]; inv.chargeHeld != "in_1/1" || len(e.sent) != 0 {
		t.Fatalf("held charge %q, requests kept %d; want in_1/1 held and its request forgotten (no money moved)", inv.chargeHeld, len(e.sent))
	}
}
