package dunning

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
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

// TestHeldChargeLetsTheRestGoOn: an engine before a restart charged in_1
// 1,900 under in_1/1 and stopped before recording it; since, another
// writer recorded a partial payment of 100. The engine now running decides
// 1,800 under in_1/1, which the gateway refuses (ErrKeyReused): that
// charge is held (not sent again; reconciled by its key), but only the
// charge: when the other writer then marks the subscription past due for
// in_1, the customer.subscription.updated webhook that owes is delivered.
func TestHeldChargeLetsTheRestGoOn(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, st, x := heldAfterRestart(t, t0)
	inv := e.st.invoices["in_1"]
	appendAsOther(t, st, domain.SubscriptionMarkedPastDue{Base: domain.Base{OccurredAt: t0.Add(2 * time.Hour)}, SubscriptionID: "sub_1", InvoiceID: "in_1"})
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
	if len(inv.notes) == 0 {
		t.Fatal("no webhook owed for in_1; the test checks nothing")
	}
	for _, n := range inv.notes {
		if !n.done {
			t.Errorf("webhook %s owed since %v not delivered", n.key, n.at)
		}
	}
	if len(x.hooks.Deliveries()) == 0 {
		t.Error("no webhook delivered")
	}
	if got := x.charged(); !slices.Equal(got, []string{"in_1/1"}) {
		t.Fatalf("charges %v; want in_1/1 once", got)
	}
}

// TestCustomerAttemptWithoutInitialCharges: an engine that leaves the
// initial charge to the billing system is not woken for it, even when a
// customer's own attempt came first (the invoice has an attempt but no
// run): it neither charges nor parks the invoice.
func TestCustomerAttemptWithoutInitialCharges(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st, _ := flushPaths[0].openStore(t)
	var charged []string
	gw := GatewayFunc(func(ctx context.Context, r ChargeRequest) (ChargeResult, error) {
		charged = append(charged, r.IdempotencyKey)
		return declined(ctx, r)
	})
	lb := &logBuf{}
	e, err := New(st, NewVirtualClock(t0), gw, WithInitialCharge(false), WithExploreRate(0), WithLogger(slog.New(slog.NewTextHandler(lb, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	appendAsOther(t, st, customerEvents(1, t0)...)
	appendAsOther(t, st, domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
		AttemptNumber: 1, Amount: 1900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorCustomer})
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(24*time.Hour)))
	if len(charged) != 0 {
		t.Fatalf("charges %v; want none: the billing system makes the initial charge", charged)
	}
	if strings.Contains(lb.String(), "parked") {
		t.Fatalf("invoice parked:\n%s", lb.String())
	}
}

// logBuf is a log destination safe for the engine's goroutines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
