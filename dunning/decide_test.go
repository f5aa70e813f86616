package dunning

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// TestDecideCommit: Decide takes the due decisions in memory and writes
// nothing; Commit writes them with the facts recorded before it, as one
// flush; Invoice shows the engine's view, staged decisions included, and
// a fact recorded at the exact revision that view leaves the stream at
// joins the staged append (a stale revision is refused).
func TestDecideCommit(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, s := newRecordEngine(t, t0)
	ctx := context.Background()
	b := domain.Base{OccurredAt: t0}
	must := mustFor(t)
	recordOpenInvoice(t, e, b)
	if inv := e.Invoice("in_1"); inv == nil || inv.Version != 1 || inv.Status != domain.InvoiceOpen {
		t.Fatalf("recorded invoice as the engine sees it: %+v", inv)
	}
	if e.Invoice("in_2") != nil {
		t.Fatal("an invoice the engine never saw")
	}

	must(e.Decide(ctx, t0.Add(time.Hour)))
	if st := e.Stats(); st.Charges != 1 || st.Flushes != 0 {
		t.Fatalf("after Decide: %d charges, %d flushes; want the first charge taken and nothing written", st.Charges, st.Flushes)
	}
	if _, err := s.ReadStream(ctx, domain.InvoiceStream("in_1"), eventstore.ReadStreamOptions{}); err == nil {
		t.Fatal("Decide wrote the invoice stream")
	}
	inv := e.Invoice("in_1")
	if inv.AttemptCount != 1 || inv.Version < 3 {
		t.Fatalf("engine's invoice after the failed first charge: %d attempts, version %d", inv.AttemptCount, inv.Version)
	}
	// The customer pays at once: recorded at the revision the staged
	// decisions leave the stream at, it joins them.
	at := t0.Add(90 * time.Minute)
	pay, err := inv.RecordAttempt(domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
		AttemptNumber: inv.AttemptCount + 1, Amount: inv.AmountRemaining, Currency: "usd", Outcome: domain.Succeeded,
		Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorCustomer, ChargeID: "ch_customer"})
	must(err)
	if err := record(t, e, "stale", eventstore.Exact(uint64(inv.Version-2)), pay...); err == nil || !strings.Contains(err.Error(), "only Any") {
		t.Fatalf("a stale exact revision on a staged stream: %v", err)
	}
	must(record(t, e, "pay", eventstore.Exact(uint64(inv.Version-1)), pay...))
	if got := e.Invoice("in_1"); got.Status != domain.InvoicePaidStatus || got.Version != inv.Version+len(pay) {
		t.Fatalf("after the recorded payment the engine sees %s at version %d", got.Status, got.Version)
	}

	must(e.Commit(ctx))
	must(e.Flush(ctx))
	if st := e.Stats(); st.Flushes != 1 {
		t.Fatalf("%d flushes; want the step's facts and decisions in one", st.Flushes)
	}
	recs, err := s.ReadStream(ctx, domain.InvoiceStream("in_1"), eventstore.ReadStreamOptions{})
	must(err)
	if len(recs) != inv.Version+len(pay) || recs[len(recs)-1].Type != domain.TypeInvoicePaid {
		t.Fatalf("invoice stream holds %d events ending in %s; want %d ending in %s", len(recs), recs[len(recs)-1].Type, inv.Version+len(pay), domain.TypeInvoicePaid)
	}
	// A Commit with nothing new reads the step back without applying
	// anything twice.
	must(e.Commit(ctx))
	must(e.Flush(ctx))
	if got := e.Invoice("in_1"); got.Version != len(recs) {
		t.Fatalf("after reading its writes back the engine sees version %d, store holds %d", got.Version, len(recs))
	}
	if len(e.echo) != 0 {
		t.Fatalf("echo ranges left after the subscription passed them: %v", e.echo)
	}
}

// TestSoleWriter: a sole writer reads the store once, when it first
// catches up (rebuilding what the store held), and then never reads its
// own writes back: nothing is applied from the subscription, no echo is
// kept, and its position follows its own commits. Run refuses it.
func TestSoleWriter(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	s := openPebble(t)
	b := domain.Base{OccurredAt: t0}
	// A customer the store held before the engine started.
	cus := domain.CustomerRegistered{Base: b, CustomerID: "cus_1", Email: "a@example.test", Country: "US", TimeZone: "America/New_York"}
	typ, data, _ := domain.Encode(cus)
	if _, err := s.Append(ctx, cus.StreamName(), eventstore.NoStream, eventstore.EventData{Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
	gw := GatewayFunc(func(context.Context, ChargeRequest) (ChargeResult, error) {
		return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
	})
	e, err := New(s, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0), WithSoleWriter())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	must := mustFor(t)
	must(e.Commit(ctx)) // the first catch-up reads what the store holds
	if st := e.Stats(); st.Applied != 1 {
		t.Fatalf("first catch-up applied %d events, want the 1 the store held", st.Applied)
	}
	must(record(t, e, "pm", eventstore.NoStream, domain.PaymentMethodAttached{Base: b, PaymentMethodID: "pm_1", CustomerID: "cus_1", Network: domain.Visa, Funding: domain.Debit, Country: "US", ExpMonth: 1, ExpYear: 2030, Default: true}))
	must(record(t, e, "sub", eventstore.NoStream, domain.SubscriptionStarted{Base: b, SubscriptionID: "sub_1", CustomerID: "cus_1", ProductID: "prod_1", PaymentMethodID: "pm_1", Amount: 1900, Currency: "usd", Interval: domain.Month, IntervalCount: 1}))
	must(record(t, e, "inv", eventstore.NoStream, domain.InvoiceFinalized{Base: b, InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1", ProductID: "prod_1",
		PaymentMethodID: "pm_1", Amount: 1900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"}))
	for h := 1; h <= 3; h++ {
		must(e.Decide(ctx, t0.Add(time.Duration(h)*time.Hour)))
		must(e.Commit(ctx))
	}
	must(e.Flush(ctx))
	st := e.Stats()
	if st.Charges != 1 || st.Applied != 1 {
		t.Fatalf("%d charges, %d events applied from the store; want 1 and only the first catch-up's 1", st.Charges, st.Applied)
	}
	if len(e.echo) != 0 || e.sub != nil {
		t.Fatalf("a sole writer keeps echo ranges %v or a subscription %v", e.echo, e.sub)
	}
	head, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	must(err)
	if len(head) != 1 || e.Position() != head[0].Position {
		t.Fatalf("position %+v, store head %+v", e.Position(), head)
	}
	wall, err := New(s, WallClock{}, gw, WithSoleWriter())
	must(err)
	defer wall.Close()
	if err := wall.Run(ctx); err == nil || !strings.Contains(err.Error(), "sole writer") {
		t.Fatalf("Run of a sole writer: %v", err)
	}
}
