package dunning

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// mustFor returns a check that stops the test at the first error.
func mustFor(t *testing.T) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newRecordEngine(t *testing.T, now time.Time) (*Engine, *pebble.Store) {
	t.Helper()
	s := openPebble(t)
	gw := GatewayFunc(func(context.Context, ChargeRequest) (ChargeResult, error) {
		return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
	})
	e, err := New(s, NewVirtualClock(now), gw, WithInitialCharge(true), WithExploreRate(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, s
}

func record(t *testing.T, e *Engine, key string, expected eventstore.ExpectedRevision, evs ...domain.Event) error {
	t.Helper()
	data := make([]eventstore.EventData, len(evs))
	for i, ev := range evs {
		typ, b, err := domain.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		data[i] = eventstore.EventData{ID: recordedID(key, i), Type: typ,
			ContentType: eventstore.ContentTypeJSON, Data: b, Metadata: metadata}
	}
	return e.Record(context.Background(), evs[0].StreamName(), expected, evs, data)
}

// TestRecordWritesWithDecisions: facts another writer hands the engine are
// applied at once, written with the decisions they lead to in one flush,
// at the revisions and with the IDs they came with, and not applied a
// second time when the subscription delivers them back.
func TestRecordWritesWithDecisions(t *testing.T) {
	for _, split := range []bool{false, true} {
		name := "AdvanceTo"
		if split {
			name = "DecideCommit"
		}
		t.Run(name, func(t *testing.T) { testRecordWritesWithDecisions(t, split) })
	}
}

// With split, the engine is driven by Decide and Commit, which returns
// with its writes in flight: Flush writes them, and the next Commit reads
// them back.
func testRecordWritesWithDecisions(t *testing.T, split bool) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, s := newRecordEngine(t, t0)
	b := domain.Base{OccurredAt: t0}
	must := mustFor(t)
	recordOpenInvoice(t, e, b)
	for i := range 3 {
		must(record(t, e, "act"+string(rune('0'+i)), eventstore.Any, domain.CardActivityObserved{Base: b, PaymentMethodID: "pm_1", DeviceID: "dev"}))
	}
	if at, ok := e.NextWake(); !ok || at.After(t0) {
		t.Fatalf("a recorded finalized invoice is not due at once: next wake %v %v", at, ok)
	}
	ctx := context.Background()
	if split {
		must(e.Decide(ctx, t0.Add(time.Hour)))
		must(e.Commit(ctx))
		must(e.Flush(ctx))
		// The default preset pauses the subscription during recovery.
		if got := e.SubscriptionStatus("sub_1"); got != domain.SubscriptionPausedSt {
			t.Fatalf("subscription status %q after a failed first charge, want paused", got)
		}
		// A step with nothing due reads the first step's writes back.
		must(e.Decide(ctx, t0.Add(2*time.Hour)))
		must(e.Commit(ctx))
		must(e.Flush(ctx))
	} else {
		must(e.AdvanceTo(ctx, t0.Add(time.Hour)))
	}
	if st := e.Stats(); st.Flushes != 1 || st.Charges != 1 {
		t.Fatalf("facts and the first charge's decisions: %d flushes, %d charges; want one flush with one charge", st.Flushes, st.Charges)
	}
	recs, err := s.ReadStream(ctx, domain.InvoiceStream("in_1"), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 3 || recs[0].Type != domain.TypeInvoiceFinalized || recs[1].Type != domain.TypePaymentAttempted {
		t.Fatalf("invoice stream %v", recs)
	}
	if want := uuid.NewSHA1(uuid.NameSpaceURL, []byte("inv/a")); recs[0].ID != want {
		t.Fatalf("recorded event written with ID %s, want the writer's %s", recs[0].ID, want)
	}
	pm, err := s.ReadStream(ctx, domain.PaymentMethodStream("pm_1"), eventstore.ReadStreamOptions{})
	if err != nil || len(pm) != 4 {
		t.Fatalf("payment method stream: %d events, %v; want attached and 3 activities", len(pm), err)
	}
	// The subscription delivered every event back by now; none was
	// applied twice.
	if n := len(e.st.cards["pm_1"].activity); n != 3 {
		t.Fatalf("card activity applied %d times, want 3", n)
	}
	if len(e.echo) != 0 {
		t.Fatalf("echo ranges left after the subscription passed them: %v", e.echo)
	}
}

// TestRecordRefusals: events of another stream, and a second expectation
// on a stream with staged events, are refused before anything is
// applied; a recorded append the store refuses fails the flush.
func TestRecordRefusals(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, s := newRecordEngine(t, t0)
	b := domain.Base{OccurredAt: t0}
	cus := domain.CustomerRegistered{Base: b, CustomerID: "cus_1", Country: "US", TimeZone: "UTC"}
	typ, data, _ := domain.Encode(cus)
	ed := []eventstore.EventData{{ID: uuid.New(), Type: typ, Data: data}}
	if err := e.Record(context.Background(), "customer-cus_2", eventstore.NoStream, []domain.Event{cus}, ed); err == nil || !strings.Contains(err.Error(), "belongs to") {
		t.Fatalf("an event of another stream: %v", err)
	}
	if err := record(t, e, "a", eventstore.NoStream, cus); err != nil {
		t.Fatal(err)
	}
	if err := record(t, e, "b", eventstore.NoStream, cus); err == nil || !strings.Contains(err.Error(), "only Any") {
		t.Fatalf("NoStream on a stream with staged events: %v", err)
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Another writer created the stream meanwhile: the recorded NoStream
	// append is refused, and so is the flush.
	other := domain.CustomerRegistered{Base: b, CustomerID: "cus_3", Country: "US", TimeZone: "UTC"}
	typ, data, _ = domain.Encode(other)
	if _, err := s.Append(context.Background(), other.StreamName(), eventstore.NoStream, eventstore.EventData{Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
	if err := record(t, e, "c", eventstore.NoStream, other); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(context.Background()); !errors.Is(err, errRecordedRefused) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("flush of a refused recorded append: %v", err)
	}
}

// recordOpenInvoice records, through the engine, a US customer with a
// Visa debit card (pm_1), a monthly subscription (sub_1) and its
// finalized charge-automatically invoice in_1 of $19.
func recordOpenInvoice(t *testing.T, e *Engine, b domain.Base) {
	t.Helper()
	for _, r := range []struct {
		tag string
		ev  domain.Event
	}{
		{"cus", domain.CustomerRegistered{Base: b, CustomerID: "cus_1", Email: "a@example.test", Country: "US", TimeZone: "America/New_York"}},
		{"pm", domain.PaymentMethodAttached{Base: b, PaymentMethodID: "pm_1", CustomerID: "cus_1", Network: domain.Visa, Funding: domain.Debit, Country: "US", ExpMonth: 1, ExpYear: 2030, Default: true}},
		{"sub", domain.SubscriptionStarted{Base: b, SubscriptionID: "sub_1", CustomerID: "cus_1", ProductID: "prod_1", PaymentMethodID: "pm_1", Amount: 1900, Currency: "usd", Interval: domain.Month, IntervalCount: 1}},
		{"inv", domain.InvoiceFinalized{Base: b, InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1", ProductID: "prod_1",
			PaymentMethodID: "pm_1", Amount: 1900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"}},
	} {
		if err := record(t, e, r.tag, eventstore.NoStream, r.ev); err != nil {
			t.Fatal(err)
		}
	}
}
