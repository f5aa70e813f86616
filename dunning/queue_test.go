package dunning

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// TestSoleWriterQueuesFlushes: a settled sole writer on the embedded
// store keeps several flushes in flight, each queued behind the one
// before; the store applies them in order, so every step's writes land
// as if each had waited for the previous. A queued flush the store
// refuses (someone else wrote after all) is not re-read and re-sent
// behind the flushes already queued: it stops the engine.
func TestSoleWriterQueuesFlushes(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	s := openPebble(t)
	gw := GatewayFunc(func(context.Context, ChargeRequest) (ChargeResult, error) {
		return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
	})
	e, err := New(s, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0), WithSoleWriter())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	must := mustFor(t)
	must(e.Commit(ctx)) // settles: nothing to read
	b := domain.Base{OccurredAt: t0}
	recordOpenInvoice(t, e, b)
	// One card activity per step, each step committed without waiting:
	// the activities append to one stream, each expecting the revision
	// the step before leaves it at.
	for h := 1; h <= 6; h++ {
		must(record(t, e, "act"+string(rune('0'+h)), eventstore.Exact(uint64(h-1)), domain.CardActivityObserved{Base: domain.Base{OccurredAt: t0.Add(time.Duration(h) * time.Hour)}, PaymentMethodID: "pm_1", DeviceID: "dev"}))
		must(e.Decide(ctx, t0.Add(time.Duration(h)*time.Hour)))
		must(e.Commit(ctx))
		if n := len(e.flights); n > queuedFlights {
			t.Fatalf("%d flushes in flight, over the bound of %d", n, queuedFlights)
		}
	}
	if len(e.flights) < 2 {
		t.Logf("only %d flush in flight: the store kept up (the order is still checked)", len(e.flights))
	}
	must(e.Flush(ctx))
	pm, err := s.ReadStream(ctx, domain.PaymentMethodStream("pm_1"), eventstore.ReadStreamOptions{})
	if err != nil || len(pm) != 7 {
		t.Fatalf("payment method stream: %d events, %v; want attached and 6 activities", len(pm), err)
	}
	inv, err := s.ReadStream(ctx, domain.InvoiceStream("in_1"), eventstore.ReadStreamOptions{})
	if err != nil || len(inv) != e.Invoice("in_1").Version {
		t.Fatalf("invoice stream: %d events, %v; the engine holds version %d", len(inv), err, e.Invoice("in_1").Version)
	}
	if st := e.Stats(); st.Charges != 1 {
		t.Fatalf("%d charges, want the first one only", st.Charges)
	}

	// Another writer after all: the engine's next decision on the
	// invoice (its retry) expects the revision it knows, and is refused.
	other := domain.ReminderSent{Base: domain.Base{OccurredAt: t0.Add(7 * time.Hour)}, InvoiceID: "in_1", Kind: "test", Channel: "none", MessageID: "other"}
	typ, data, _ := domain.Encode(other)
	if _, err := s.Append(ctx, other.StreamName(), eventstore.Any, eventstore.EventData{Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
	must(e.Decide(ctx, t0.Add(30*24*time.Hour)))
	if st := e.Stats(); st.Charges < 2 {
		t.Fatalf("%d charges by day 30; want the retries decided", st.Charges)
	}
	must(e.Commit(ctx))
	err = e.Flush(ctx)
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || errors.Is(err, errRecordedRefused) {
		t.Fatalf("flush after another writer: %v; want the refusal of the engine's own append", err)
	}
}
