package dunning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// appendAsOther appends events to their streams as another writer would
// (the billing system), straight to the store.
func appendAsOther(t *testing.T, s eventstore.Store, evs ...domain.Event) {
	t.Helper()
	for _, ev := range evs {
		typ, data, err := domain.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(context.Background(), ev.StreamName(), eventstore.Any, eventstore.EventData{Type: typ, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
}

// customerEvents are customer n's registration, card (pm_n) and monthly
// subscription (sub_n), and invoice in_n's finalization at at.
func customerEvents(n int, at time.Time) []domain.Event {
	b := domain.Base{OccurredAt: at}
	cus, pm, sub := fmt.Sprint("cus_", n), fmt.Sprint("pm_", n), fmt.Sprint("sub_", n)
	return []domain.Event{
		domain.CustomerRegistered{Base: b, CustomerID: cus, Email: "a@example.test", Country: "US", TimeZone: "America/New_York"},
		domain.PaymentMethodAttached{Base: b, PaymentMethodID: pm, CustomerID: cus, Network: domain.Visa, Funding: domain.Debit, Country: "US", ExpMonth: 1, ExpYear: 2030, Default: true},
		domain.SubscriptionStarted{Base: b, SubscriptionID: sub, CustomerID: cus, ProductID: "prod_1", PaymentMethodID: pm, Amount: 1900, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
		domain.InvoiceFinalized{Base: b, InvoiceID: fmt.Sprint("in_", n), CustomerID: cus, SubscriptionID: sub,
			ProductID: "prod_1", PaymentMethodID: pm, Amount: 1900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically,
			AutoAdvance: true, BillingReason: "subscription_cycle"},
	}
}

func declined(context.Context, ChargeRequest) (ChargeResult, error) {
	return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
}

// TestShutdownDuringAFlush: `recoup serve` stops the engine by cancelling
// Run's context, which may land while a flush waits for the store (here:
// its commit's sync is held), so that the store answers "outcome unknown".
// The engine stops, but when it stopped only for that and nothing it
// charged is unwritten, Close reports no failure: the decisions are taken
// again from the ledger by the next engine, written or not. When a charge
// made is not known to be recorded, Close still reports it. The same on
// both flush paths (one commit, or stream by stream).
func TestShutdownDuringAFlush(t *testing.T) {
	onLocalPaths(t, testShutdownDuringAFlush)
}

func testShutdownDuringAFlush(t *testing.T, p flushPath) {
	for _, tc := range []struct {
		name string
		gw   Gateway // nil: the billing system charges
		want []string
	}{
		{"NothingCharged", nil, nil},
		{"Charged", GatewayFunc(declined), []string{"in_1/1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, gate := openGated(t)
			s := p.wrap(ps)
			at := time.Now().Add(-time.Hour).UTC()
			evs := customerEvents(1, at)
			if tc.gw == nil {
				// The billing system's first charge failed: the engine
				// schedules the retry, which is its flush.
				evs = append(evs, domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, InvoiceID: "in_1", PaymentMethodID: "pm_1", AttemptNumber: 1,
					Amount: 1900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorInitial, Source: domain.SourceSchedule, Propensity: 1})
			}
			appendAsOther(t, s, evs...)
			e, err := New(s, WallClock{}, tc.gw, WithInitialCharge(true), WithExploreRate(0))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			gate.hold()
			ran := make(chan error, 1)
			go func() { ran <- e.Run(ctx) }()
			gate.next(t) // the engine's flush is committing, not answered
			cancel()
			var runErr error
			select {
			case runErr = <-ran:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after its context was cancelled")
			}
			if !errors.Is(runErr, context.Canceled) {
				t.Fatalf("Run: %v; want the flush cut short by the cancelled context", runErr)
			}
			closeErr := e.Close()
			if tc.want == nil {
				if closeErr != nil {
					t.Fatalf("Close after a shutdown during a flush: %v; want nil", closeErr)
				}
				if err := e.Flush(context.Background()); err == nil {
					t.Fatal("the engine flushed again after stopping mid-flush")
				}
				return
			}
			var fe *FlushError
			if !errors.As(closeErr, &fe) || !errors.Is(closeErr, context.Canceled) {
				t.Fatalf("Close with a charge unrecorded: %v; want its *FlushError", closeErr)
			}
			if fe.Stream != "" {
				t.Fatalf("FlushError names the append to %s as refused; want none named: its outcome is unknown", fe.Stream)
			}
			if keys := unrecordedKeys(fe); !slices.Equal(keys, tc.want) {
				t.Fatalf("unrecorded charges %v, want %v", unrecordedKeys(fe), tc.want)
			}
		})
	}
}

// TestShutdownWithARecordedEventUnwritten: a shutdown cuts short a flush
// that carries an event another writer handed the engine (Record). Nothing
// was charged, but that fact was acknowledged and is not known to be
// written, so Close reports the *FlushError rather than a clean stop. The
// append's outcome is unknown, not refused: the error is not that of a
// refused recorded append. The same on both flush paths.
func TestShutdownWithARecordedEventUnwritten(t *testing.T) {
	onLocalPaths(t, testShutdownWithARecordedEventUnwritten)
}

func testShutdownWithARecordedEventUnwritten(t *testing.T, p flushPath) {
	ps, gate := openGated(t)
	s := p.wrap(ps)
	at := time.Now().Add(-time.Hour).UTC()
	appendAsOther(t, s, customerEvents(1, at)...)
	e, err := New(s, WallClock{}, nil, WithExploreRate(0))
	if err != nil {
		t.Fatal(err)
	}
	must := mustFor(t)
	must(e.Commit(t.Context())) // catches up: nothing staged
	must(record(t, e, "paid", eventstore.Exact(0), domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: at}, InvoiceID: "in_1", Amount: 100}))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	gate.hold()
	flushed := make(chan error, 1)
	go func() { flushed <- e.Flush(ctx) }()
	gate.next(t) // the flush with the recorded event is committing
	cancel()
	select {
	case err = <-flushed:
	case <-time.After(10 * time.Second):
		t.Fatal("Flush did not return after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, errRecordedRefused) {
		t.Fatalf("Flush: %v; want the flush cut short by the cancelled context (not a refused recorded append)", err)
	}
	var fe *FlushError
	if closeErr := e.Close(); !errors.As(closeErr, &fe) || !errors.Is(closeErr, context.Canceled) || len(fe.Unrecorded) != 0 {
		t.Fatalf("Close with a recorded event unwritten: %v; want its *FlushError (no charge listed)", closeErr)
	}
	// An append whose outcome is unknown is not named as refused.
	if fe.Stream != "" || fe.Events != nil {
		t.Fatalf("FlushError names %s %v as refused; want no append named: its outcome is unknown", fe.Stream, fe.Events)
	}
}

// TestStopListsChargesOfConflicts: a flush conflicts on an invoice stream
// that another writer appended to while the engine charged, so the
// invoice's batch, with its attempt, is not written; re-reading it then
// fails (the store is closed). The engine stops, and its FlushError lists
// that charge, whose attempt is not written, though the flush itself did
// not fail. The same on every flush path.
func TestStopListsChargesOfConflicts(t *testing.T) {
	onPaths(t, testStopListsChargesOfConflicts)
}

func testStopListsChargesOfConflicts(t *testing.T, p flushPath) {
	ctx := context.Background()
	e, s := conflictedFlightInFlight(t, p)
	mustFor(t)(s.Close())
	err := e.Commit(ctx) // lands the flush: its re-read fails
	var fe *FlushError
	if !errors.As(err, &fe) {
		t.Fatalf("Commit after a failed re-read: %v; want a *FlushError", err)
	}
	if len(fe.Unrecorded) != 1 || fe.Unrecorded[0].IdempotencyKey != "in_1/1" {
		t.Fatalf("unrecorded charges %+v; want in_1/1, whose attempt was in the conflicting batch", fe.Unrecorded)
	}
	if err := e.Close(); !errors.Is(err, fe) {
		t.Fatalf("Close: %v; want the FlushError", err)
	}
}

// TestStopListsConflictsOfLaterFlights: the engine stops at a failed
// flight with a later one still in flight that was written but for a
// conflicted invoice: that invoice's charge is listed too. (Flights queue
// behind one another only for a sole writer, whose conflicts fail the
// flight; the failed first flight is therefore put in by hand, before the
// real, conflicted one.) The same on every flush path.
func TestStopListsConflictsOfLaterFlights(t *testing.T) {
	onPaths(t, testStopListsConflictsOfLaterFlights)
}

func testStopListsConflictsOfLaterFlights(t *testing.T, p flushPath) {
	e, _ := conflictedFlightInFlight(t, p)
	failed := &flight{done: make(chan struct{}), queued: make(chan struct{}), err: errors.New("refused")}
	close(failed.done)
	close(failed.queued)
	e.flights = append([]*flight{failed}, e.flights...)
	err := e.Commit(context.Background())
	var fe *FlushError
	if !errors.As(err, &fe) {
		t.Fatalf("Commit after a failed flush: %v; want a *FlushError", err)
	}
	if len(fe.Unrecorded) != 1 || fe.Unrecorded[0].IdempotencyKey != "in_1/1" {
		t.Fatalf("unrecorded charges %+v; want in_1/1, whose attempt was in the second flush's conflicting batch", fe.Unrecorded)
	}
	if err := e.Close(); !errors.Is(err, fe) {
		t.Fatalf("Close: %v; want the FlushError", err)
	}
}

// TestCloseListsChargesOfConflicts: Close finds a flush in flight that was
// written but for a conflicted invoice; it does not re-read it, so the
// charge whose attempt the batch carried is not recorded: Close reports it.
// The same on every flush path.
func TestCloseListsChargesOfConflicts(t *testing.T) {
	onPaths(t, testCloseListsChargesOfConflicts)
}

func testCloseListsChargesOfConflicts(t *testing.T, p flushPath) {
	e, _ := conflictedFlightInFlight(t, p)
	err := e.Close()
	var fe *FlushError
	if !errors.As(err, &fe) || !errors.Is(err, errClosedOnConflicts) {
		t.Fatalf("Close with a conflicted flush in flight: %v; want a *FlushError", err)
	}
	if len(fe.Unrecorded) != 1 || fe.Unrecorded[0].IdempotencyKey != "in_1/1" {
		t.Fatalf("unrecorded charges %+v; want in_1/1", fe.Unrecorded)
	}
}

// conflictedFlightInFlight returns an engine (on a store of path p, and
// the embedded store behind it) with one flush in flight, answered: it
// conflicted on invoice-in_1, which another writer appended to while the
// engine charged, so the invoice's batch, with its attempt in_1/1, is not
// written.
func conflictedFlightInFlight(t *testing.T, p flushPath) (*Engine, *pebble.Store) {
	t.Helper()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	s, ps := p.openStore(t)
	appendAsOther(t, s, customerEvents(1, t0)...)
	gw := GatewayFunc(func(ctx context.Context, r ChargeRequest) (ChargeResult, error) {
		// Meanwhile, another writer: the engine's append to in_1 will be
		// refused for its expected revision.
		appendAsOther(t, s, domain.InvoiceMarkedUncollectible{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1"})
		return declined(ctx, r)
	})
	e, err := New(s, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0))
	if err != nil {
		t.Fatal(err)
	}
	must := mustFor(t)
	must(e.Commit(ctx)) // catches up: nothing staged
	must(e.Decide(ctx, t0))
	must(e.Commit(ctx)) // the flush that conflicts on invoice-in_1
	if len(e.flights) != 1 {
		t.Fatalf("%d flushes in flight, want 1", len(e.flights))
	}
	select {
	case <-e.flights[0].done:
	case <-time.After(10 * time.Second):
		t.Fatal("the flush was not answered")
	}
	if f := e.flights[0]; f.err != nil || !slices.ContainsFunc(f.conflicts, func(b *batch) bool { return b.stream == "invoice-in_1" }) {
		t.Fatalf("flush: %v, conflicts %d; want invoice-in_1 refused for its expected revision", f.err, len(f.conflicts))
	}
	return e, ps
}

// TestCloseWaitsUnderTheLock: Close waits for a flush still in flight
// (its sync held for a while) under the engine's lock, so Stats may be
// read meanwhile (run with -race), and counts the wait in FlushWait.
func TestCloseWaitsUnderTheLock(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s, gate := openGated(t)
	e, err := New(s, NewVirtualClock(t0), nil)
	if err != nil {
		t.Fatal(err)
	}
	recordCustomer(t, e, 1, domain.Base{OccurredAt: t0})
	gate.hold()
	if err := e.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	release := gate.next(t) // the flush is committing, not answered
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			_ = e.Stats()
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	time.AfterFunc(20*time.Millisecond, release)
	err = e.Close()
	close(done)
	<-polled
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := e.Stats()
	if st.Flushes != 1 || st.FlushWait <= 0 {
		t.Fatalf("after Close: %d flushes, FlushWait %v; want the flush Close waited for, and its wait", st.Flushes, st.FlushWait)
	}
}
