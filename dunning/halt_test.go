package dunning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// syncGate holds the store's WAL syncs while it is armed, each until the
// test lets it go, so that a test can keep a commit unanswered and queue
// flushes behind it. Everything else goes to the disk as usual.
type syncGate struct {
	armed atomic.Bool
	held  chan chan struct{} // a held sync hands over what lets it go
	free  chan struct{}      // closed at the end: nothing is held any more
	once  sync.Once
}

func (g *syncGate) String() string { return "syncGate" }

// MaybeError implements errorfs.Injector: it never injects an error, it
// only waits.
func (g *syncGate) MaybeError(op errorfs.Op) error {
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
	default:
		return nil
	}
	if !strings.HasSuffix(op.Path, ".log") || !g.armed.Load() {
		return nil
	}
	release := make(chan struct{})
	select {
	case g.held <- release:
	case <-g.free:
		return nil
	}
	select {
	case <-release:
	case <-g.free:
	}
	return nil
}

// hold arms the gate: from now on every WAL sync waits.
func (g *syncGate) hold() { g.armed.Store(true) }

// next waits until a commit's sync is held, and returns what lets it go.
func (g *syncGate) next(t *testing.T) (release func()) {
	t.Helper()
	select {
	case r := <-g.held:
		return func() { close(r) }
	case <-time.After(10 * time.Second):
		t.Fatal("no commit reached a held sync")
		return nil
	}
}

// open lets every sync go, held or to come.
func (g *syncGate) open() { g.once.Do(func() { g.armed.Store(false); close(g.free) }) }

// openGated opens a Pebble store on disk whose WAL syncs a syncGate can
// hold.
func openGated(t *testing.T) (*pebble.Store, *syncGate) {
	t.Helper()
	g := &syncGate{held: make(chan chan struct{}), free: make(chan struct{})}
	s, err := pebble.Open(t.TempDir(), pebble.Options{FS: errorfs.Wrap(vfs.Default, g)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t.Cleanup(g.open) // runs first: a held sync would keep Close waiting
	return s, g
}

// recordCustomer records customer n (cus_n) with a Visa debit card
// (pm_n) and a monthly subscription (sub_n).
func recordCustomer(t *testing.T, e *Engine, n int, b domain.Base) {
	t.Helper()
	cus, pm, sub := fmt.Sprint("cus_", n), fmt.Sprint("pm_", n), fmt.Sprint("sub_", n)
	for _, ev := range []domain.Event{
		domain.CustomerRegistered{Base: b, CustomerID: cus, Email: "a@example.test", Country: "US", TimeZone: "America/New_York"},
		domain.PaymentMethodAttached{Base: b, PaymentMethodID: pm, CustomerID: cus, Network: domain.Visa, Funding: domain.Debit, Country: "US", ExpMonth: 1, ExpYear: 2030, Default: true},
		domain.SubscriptionStarted{Base: b, SubscriptionID: sub, CustomerID: cus, ProductID: "prod_1", PaymentMethodID: pm, Amount: 1900, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
	} {
		if err := record(t, e, ev.StreamName(), eventstore.NoStream, ev); err != nil {
			t.Fatal(err)
		}
	}
}

// recordInvoice records customer n's finalized charge-automatically
// invoice in_n, which the engine charges at once.
func recordInvoice(t *testing.T, e *Engine, n int, b domain.Base) error {
	t.Helper()
	ev := domain.InvoiceFinalized{Base: b, InvoiceID: fmt.Sprint("in_", n), CustomerID: fmt.Sprint("cus_", n), SubscriptionID: fmt.Sprint("sub_", n),
		ProductID: "prod_1", PaymentMethodID: fmt.Sprint("pm_", n), Amount: 1900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically,
		AutoAdvance: true, BillingReason: "subscription_cycle"}
	return record(t, e, ev.StreamName(), eventstore.NoStream, ev)
}

// TestSoleWriterStopsAtARefusedFlush: a sole writer keeps flushes in
// flight on the embedded store (on disk). Another writer appends to a
// subscription stream after all, so the engine's next append there (the
// pause after invoice in_5's failed first charge, step 5) is refused, and
// the flush of step 6, queued behind it, is refused with it. Both queue,
// with step 4's, behind step 3's commit, whose sync does not return until
// the test lets it, so the engine charges in_5 and in_6 before the store
// can refuse anything.
//
// Once the store has refused step 5's flush, whatever the driver calls
// next and even before the refusal is answered (BeforeAnswer: the answer
// waits for the sync of step 4's flush, applied with it), no gateway call
// is made: the failure is returned, as a *FlushError that names the
// refused append and lists the charges made whose attempts are not
// written (in_5/1 and in_6/1, and any charge made in the step during which
// the refusal arrives). Step 4 and before are written, nothing after.
// The engine then stays stopped.
func TestSoleWriterStopsAtARefusedFlush(t *testing.T) {
	for _, next := range []string{"Commit", "Decide", "Record", "Flush", "AdvanceTo", "DuringDecide", "BeforeAnswer"} {
		t.Run(next, func(t *testing.T) { testStopsAtARefusedFlush(t, next) })
	}
}

func testStopsAtARefusedFlush(t *testing.T, next string) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	hour := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	ctx := context.Background()
	must := mustFor(t)
	s, gate := openGated(t)

	var (
		e       *Engine
		calls   []string // idempotency keys, in call order
		failing *flight  // the flush the store refuses
		onCall  func()   // run inside the next gateway call
	)
	gw := GatewayFunc(func(_ context.Context, r ChargeRequest) (ChargeResult, error) {
		if err := e.queueChain.Broken(); err != nil {
			t.Errorf("gateway called for %s after the store refused a flush: %v", r.IdempotencyKey, err)
		}
		if failing != nil {
			select {
			case <-failing.done:
				t.Errorf("gateway called for %s after the refused flush's answer reached the engine", r.IdempotencyKey)
			default:
			}
		}
		calls = append(calls, r.IdempotencyKey)
		if f := onCall; f != nil {
			onCall = nil
			f()
		}
		return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
	})
	e, err := New(s, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0), WithSoleWriter())
	if err != nil {
		t.Fatal(err)
	}
	must(e.Commit(ctx)) // settles: the store is empty
	// Step h records invoice h (and customer h+3, so that a customer's
	// subscription is written three steps before its invoice), charges
	// it, and commits without waiting.
	step := func(h int) {
		t.Helper()
		b := domain.Base{OccurredAt: hour(h)}
		recordCustomer(t, e, h+3, b)
		must(recordInvoice(t, e, h, b))
		must(e.Decide(ctx, hour(h)))
		must(e.Commit(ctx))
	}
	for n := 1; n <= 3; n++ {
		recordCustomer(t, e, n, domain.Base{OccurredAt: t0})
	}
	step(1)
	step(2)
	must(e.Flush(ctx))
	// Another writer after all: sub_5 moves on without the engine.
	other := domain.SubscriptionPaused{Base: domain.Base{OccurredAt: hour(2)}, SubscriptionID: "sub_5", Reason: "other writer"}
	typ, data, _ := domain.Encode(other)
	if _, err := s.Append(ctx, other.StreamName(), eventstore.Any, eventstore.EventData{Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
	gate.hold()
	step(3)
	release3 := gate.next(t) // step 3's commit is written but not answered
	step(4)
	step(5)
	failing = e.flights[len(e.flights)-1]
	step(6)
	if n := len(e.flights); n != 4 {
		t.Fatalf("%d flushes in flight, want steps 3 to 6's", n)
	}
	for _, f := range e.flights[1:] {
		waitClosed(t, f.queued, "a flush queued in the store") // they are applied together
	}
	if err := e.queueChain.Broken(); err != nil {
		t.Fatalf("the chain broke before the refused flush was applied: %v", err)
	}
	want := []string{"in_5/1", "in_6/1"} // charged, never to be written
	flushes := e.Stats().Flushes

	var nextErr error
	switch next {
	case "Commit", "Decide", "Record", "Flush", "AdvanceTo":
		must(recordInvoice(t, e, 7, domain.Base{OccurredAt: hour(7)})) // due at once
		gate.open()
		waitClosed(t, failing.done, "the refused flush's answer") // the refusal has reached the engine
		switch next {
		case "Commit":
			nextErr = e.Commit(ctx)
		case "Decide":
			nextErr = e.Decide(ctx, hour(7))
		case "Record":
			nextErr = recordInvoice(t, e, 8, domain.Base{OccurredAt: hour(7)})
		case "Flush":
			nextErr = e.Flush(ctx)
		case "AdvanceTo":
			nextErr = e.AdvanceTo(ctx, hour(7))
		}
	case "DuringDecide":
		// Three invoices due in one step; the refusal arrives while the
		// first is charged, and the other two must not be.
		for n := 7; n <= 9; n++ {
			must(recordInvoice(t, e, n, domain.Base{OccurredAt: hour(7)}))
		}
		onCall = func() { gate.open(); waitClosed(t, failing.done, "the refused flush's answer") }
		nextErr = e.Decide(ctx, hour(7))
		want = append(want, "in_7/1")
	case "BeforeAnswer":
		must(recordInvoice(t, e, 7, domain.Base{OccurredAt: hour(7)})) // due at once
		release3()
		// Steps 4 to 6 are applied as one group: step 4's flush is written
		// into the group's batch, step 5's refused, step 6's refused with
		// it; nothing is answered until the group's sync returns.
		release4 := gate.next(t)
		if e.queueChain.Broken() == nil {
			t.Fatal("the group's sync is held but the store has not refused step 5's flush")
		}
		select {
		case <-failing.done:
			t.Fatal("the refused flush was answered before its group's sync")
		default:
		}
		time.AfterFunc(20*time.Millisecond, release4)
		nextErr = e.Decide(ctx, hour(7))
	}

	var fe *FlushError
	if !errors.As(nextErr, &fe) {
		t.Fatalf("%s after the refusal: %v; want a *FlushError", next, nextErr)
	}
	// Steps 3 to 6's flushes were waited for; none was started after the
	// refusal (Flush too checks for a failure before it writes).
	if n := e.Stats().Flushes - flushes; n != 4 {
		t.Errorf("%s after the refusal: %d flushes landed, want steps 3 to 6's 4 (none started after the refusal)", next, n)
	}
	var be *eventstore.BatchError
	if !errors.Is(nextErr, eventstore.ErrWrongExpectedVersion) || !errors.As(nextErr, &be) || be.Stream != "subscription-sub_5" {
		t.Fatalf("%s after the refusal: %v; want the refusal of the append to subscription-sub_5", next, nextErr)
	}
	if fe.Stream != "subscription-sub_5" || fe.Expected != eventstore.Exact(0) || len(fe.Events) != 1 || !strings.HasPrefix(fe.Events[0], domain.TypeSubscriptionPaused+" ") {
		t.Fatalf("refused record named as %s at %v with %v; want the engine's SubscriptionPaused on subscription-sub_5 at revision 0", fe.Stream, fe.Expected, fe.Events)
	}
	for _, c := range fe.Unrecorded {
		if c.InvoiceID+"/1" != c.IdempotencyKey || c.AttemptNumber != 1 || c.Outcome != domain.Failed {
			t.Errorf("unrecorded charge %+v: fields do not match its key and the gateway's answer", c)
		}
	}
	if keys := unrecordedKeys(fe); !slices.Equal(keys, want) {
		t.Fatalf("unrecorded charges %v, want %v", keys, want)
	}
	for _, k := range want {
		if !strings.Contains(nextErr.Error(), k) || !strings.Contains(nextErr.Error(), "subscription-sub_5") {
			t.Fatalf("error %q does not name the refused stream and charge %s", nextErr, k)
		}
	}
	if wantCalls := append([]string{"in_1/1", "in_2/1", "in_3/1", "in_4/1"}, want...); !slices.Equal(calls, wantCalls) {
		t.Fatalf("gateway calls %v, want %v", calls, wantCalls)
	}

	// What the store holds: step 4 and before, nothing after.
	gate.open()
	for n := 1; n <= 7; n++ {
		inv := fmt.Sprint("in_", n)
		types := streamTypes(t, s, domain.InvoiceStream(inv))
		switch written := n <= 4; {
		case written && countOf(types, domain.TypePaymentAttempted) != 1:
			t.Errorf("%s holds %v; want its attempt written", inv, types)
		case !written && types != nil:
			t.Errorf("%s holds %v; want nothing written after the refused flush", inv, types)
		}
	}

	// Stopped: every later call returns the same failure and acts no more.
	for name, call := range map[string]func() error{
		"Decide":    func() error { return e.Decide(ctx, hour(40*24)) },
		"Commit":    func() error { return e.Commit(ctx) },
		"Flush":     func() error { return e.Flush(ctx) },
		"AdvanceTo": func() error { return e.AdvanceTo(ctx, hour(41*24)) },
		"Record":    func() error { return recordInvoice(t, e, 10, domain.Base{OccurredAt: hour(41 * 24)}) },
	} {
		if err := call(); err != fe {
			t.Errorf("%s after the engine stopped: %v; want its FlushError", name, err)
		}
	}
	if err := e.Close(); !errors.Is(err, fe) {
		t.Errorf("Close after the engine stopped: %v; want its FlushError", err)
	}
	if n := len(want) + 4; len(calls) != n {
		t.Fatalf("gateway calls after the engine stopped: %v", calls[n:])
	}
}

// waitClosed waits for ch to be closed, failing the test (instead of
// hanging) if it is not within 10 seconds.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10s", what)
	}
}
