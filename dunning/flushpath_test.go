package dunning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/dunning/notify/notifytest"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// The engine writes a flush in one of two ways (outbox.go): on a store
// with multi-stream appends (eventstore.BatchAppender: the embedded
// store) as one atomic append (appendOneCommit); on one without (the
// KurrentDB adapter, whose client cannot append to several streams
// atomically) stream by stream, the subscriptions' batches first, then
// the invoices' (appendAll and the code around it in flushAsync). The
// rules are the same on both: a batch without recorded facts that
// conflicts is set aside and re-read, with the batches of the invoices
// of a conflicted subscription's batch; a batch carrying recorded facts
// is never dropped to a re-read, its refusal fails the flush; only an
// append the store refused is named by the FlushError. The tests of those
// rules run on every flushPath, so that the two ways cannot drift apart.
//
// A third way is not in the table: a settled sole writer on the embedded
// store queues its flushes (queueOneCommit), and there any refusal, a
// conflict included, fails the flush, since the flushes queued behind it
// were checked against heads it did not write. Its rules differ, so its
// tests are its own: TestSoleWriterStopsAtARefusedFlush (halt_test.go)
// and TestSoleWriterQueuesFlushes (queue_test.go).

// flushPath is a store the engine writes to, and so the way it writes a
// flush there.
type flushPath struct {
	name string
	// oneCommit: the engine writes a flush as one atomic append, so
	// nothing of a refused flush is written. Otherwise the appends to the
	// other streams of a failed flush may be written.
	oneCommit bool
	// wrap, if set, is the store the engine is given for an embedded
	// store the test opened itself (see openGated); nil where the engine
	// does not talk to that store in-process (the KurrentDB adapter).
	wrap func(*pebble.Store) eventstore.Store
}

var flushPaths = []flushPath{
	{name: "OneCommit", oneCommit: true, wrap: func(s *pebble.Store) eventstore.Store { return s }},
	{name: "PerStream", wrap: func(s *pebble.Store) eventstore.Store { return storeOnly{s} }},
	{name: "Kurrent"},
}

// openStore returns the store the engine is given on path p and the
// embedded store on disk that holds the ledger behind it (which the tests
// read).
func (p flushPath) openStore(t *testing.T) (eventstore.Store, *pebble.Store) {
	t.Helper()
	if p.wrap == nil {
		return openKurrent(t)
	}
	s := openPebble(t)
	return p.wrap(s), s
}

// storeOnly has only eventstore.Store's methods: every call goes to the
// store it wraps (the embedded store on disk), but the engine cannot see
// its AppendBatch and QueueAppendBatch, the capability KurrentDB lacks,
// so it writes each flush stream by stream, as it does on KurrentDB.
type storeOnly struct{ eventstore.Store }

func openPebble(t *testing.T) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openKurrent returns the KurrentDB adapter talking gRPC on loopback to
// the protocol test double (kurrenttest), which serves an embedded store
// on disk: the engine meets the adapter's own errors and its lack of
// multi-stream appends.
func openKurrent(t *testing.T) (eventstore.Store, *pebble.Store) {
	t.Helper()
	ps := openPebble(t)
	srv, err := kurrenttest.Start(ps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("kurrenttest: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ks, err := kurrent.Open(ctx, srv.URL(), kurrent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	return ks, ps
}

// onPaths runs test on every flush path.
func onPaths(t *testing.T, test func(t *testing.T, p flushPath)) {
	for _, p := range flushPaths {
		t.Run(p.name, func(t *testing.T) { test(t, p) })
	}
}

// onLocalPaths runs test on the flush paths whose store wraps an
// embedded store the test opens itself.
func onLocalPaths(t *testing.T, test func(t *testing.T, p flushPath)) {
	for _, p := range flushPaths {
		if p.wrap != nil {
			t.Run(p.name, func(t *testing.T) { test(t, p) })
		}
	}
}

// effects is what an engine did to the outside world: its gateway's
// calls (by idempotency key), and the emails and webhooks that a real
// SMTP server and a real webhook receiver on loopback took.
type effects struct {
	mu   sync.Mutex
	keys []string
	// first is the first request sent under each key; reused lists the
	// keys sent again with other parameters, which the gateway refused.
	first  map[string]ChargeRequest
	reused []string
	smtp   *notifytest.SMTPServer
	hooks  *notifytest.Receiver
}

// take notes a request and reports whether the gateway refuses it: its
// key was sent before with other parameters (ErrKeyReused, as Stripe,
// which compares the payment's parameters, not the client's clock).
func (x *effects) take(r ChargeRequest) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.keys = append(x.keys, r.IdempotencyKey)
	if first, ok := x.first[r.IdempotencyKey]; ok && !first.SameParameters(r) {
		x.reused = append(x.reused, r.IdempotencyKey)
		return fmt.Errorf("gateway: %s: %w (first %+v, now %+v)", r.IdempotencyKey, ErrKeyReused, first, r)
	}
	x.first[r.IdempotencyKey] = r
	return nil
}

// sent returns the request first sent under key, and the keys reused with
// other parameters.
func (x *effects) sent(key string) (ChargeRequest, bool, []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.first[key]
	return r, ok, slices.Clone(x.reused)
}

func (x *effects) charged() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.keys)
}

// count is the number of charges, emails and webhooks so far.
func (x *effects) count() [3]int {
	return [3]int{len(x.charged()), len(x.smtp.Messages()), len(x.hooks.Deliveries())}
}

// pathEngine returns an engine on a store of path p (also returned, with
// the embedded store behind it) that charges finalized invoices itself,
// through a gateway that declines every charge after calling onCharge
// (nil: nothing; an error it returns is the gateway's, an unknown
// outcome), and sends emails and webhooks to servers on loopback.
// The gateway holds a key to its first request, as processors do: the
// same request again gets the same answer, a key reused with other
// parameters an error (effects.take).
func pathEngine(t *testing.T, p flushPath, onCharge func(ChargeRequest) error) (*Engine, eventstore.Store, *pebble.Store, *effects) {
	t.Helper()
	st, ps := p.openStore(t)
	if _, ok := st.(eventstore.BatchAppender); ok != p.oneCommit {
		t.Fatalf("%s: the store has multi-stream appends: %v; want %v", p.name, ok, p.oneCommit)
	}
	secret := []byte("whsec_flushpath_0123456789")
	x := &effects{first: map[string]ChargeRequest{}, smtp: notifytest.NewSMTPServer(t), hooks: notifytest.NewReceiver(t, secret)}
	mailer, err := notify.NewMailer(notify.SMTPConfig{Host: x.smtp.Host, Port: x.smtp.Port, From: "billing@recoup.test"})
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := notify.NewWebhooks(notify.WebhookConfig{URL: x.hooks.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	gw := GatewayFunc(func(ctx context.Context, r ChargeRequest) (ChargeResult, error) {
		if err := x.take(r); err != nil {
			return ChargeResult{}, err
		}
		if onCharge != nil {
			if err := onCharge(r); err != nil {
				return ChargeResult{}, err
			}
		}
		return declined(ctx, r)
	})
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, err := New(st, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0),
		WithNotifier(&notify.Notifier{Mail: mailer, Hooks: hooks}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, st, ps, x
}

// streamTypes lists the event types of a stream on disk (none for a
// stream not written).
func streamTypes(t *testing.T, ps *pebble.Store, stream string) []string {
	t.Helper()
	recs, err := ps.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}

// checkStopped checks that the engine stopped at fe: every later call
// returns it, and no charge, email or webhook follows the counts before,
// taken before the call that met the failure, though had the engine gone
// on, in_1's retries, reminders and webhooks would fall due within the 60
// days it is asked to go through.
func checkStopped(t *testing.T, e *Engine, fe *FlushError, x *effects, before [3]int) {
	t.Helper()
	ctx := context.Background()
	if before[0] == 0 || before[1] == 0 || before[2] == 0 {
		t.Fatalf("charges, emails, webhooks before the failure: %v; want some of each (the gateway and servers are reached)", before)
	}
	later := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"AdvanceTo", func() error { return e.AdvanceTo(ctx, later) }},
		{"Decide", func() error { return e.Decide(ctx, later) }},
		{"Commit", func() error { return e.Commit(ctx) }},
		{"Flush", func() error { return e.Flush(ctx) }},
	} {
		if err := c.call(); err != fe {
			t.Errorf("%s after the engine stopped: %v; want its FlushError", c.name, err)
		}
	}
	if after := x.count(); after != before {
		t.Errorf("charges, emails, webhooks: %v after the engine stopped, %v before the failure; want none more", after, before)
	}
	if err := e.Close(); !errors.Is(err, fe) {
		t.Errorf("Close after the engine stopped: %v; want its FlushError", err)
	}
}

// unrecordedKeys lists the idempotency keys of fe's unrecorded charges.
func unrecordedKeys(fe *FlushError) []string {
	var keys []string
	for _, c := range fe.Unrecorded {
		keys = append(keys, c.IdempotencyKey)
	}
	return keys
}

// recordedID is the ID record gives the i-th event it records under key.
func recordedID(key string, i int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(key+"/"+string(rune('a'+i))))
}

// checkRefused checks that err is the *FlushError of a refused recorded
// append to stream, naming the recorded event ev (recorded under key,
// first of its append), and listing the charges want as unrecorded.
func checkRefused(t *testing.T, err error, stream string, key string, ev domain.Event, want ...string) *FlushError {
	t.Helper()
	var fe *FlushError
	if !errors.As(err, &fe) || !errors.Is(err, errRecordedRefused) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("flush: %v; want a *FlushError for a refused recorded append", err)
	}
	if named := ev.EventType() + " " + recordedID(key, 0).String(); fe.Stream != stream || !slices.Contains(fe.Events, named) {
		t.Fatalf("FlushError names %s %v; want %s with the recorded %s", fe.Stream, fe.Events, stream, named)
	}
	if got := unrecordedKeys(fe); !slices.Equal(got, want) {
		t.Fatalf("unrecorded charges %v; want %v", got, want)
	}
	return fe
}

// TestRecordedFactInAnEngineBatchConflicts: a fact recorded at the
// revision the engine's staged decisions leave a stream at joins the
// engine's batch; when another writer's append makes that batch conflict,
// the flush fails naming it rather than setting the batch aside to be
// re-read, which would drop the accepted fact, and the engine stops.
// Stream by stream, the subscription's append of the same flush, which
// goes first, is written; in one commit it is not.
func TestRecordedFactInAnEngineBatchConflicts(t *testing.T) {
	onPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		e, st, ps, x := pathEngine(t, p, nil)
		ctx := context.Background()
		must := mustFor(t)
		recordOpenInvoice(t, e, domain.Base{OccurredAt: t0})
		must(e.Flush(ctx)) // the invoice stream is written: the next batch on it is the engine's
		must(e.Decide(ctx, t0.Add(time.Hour)))
		inv := e.Invoice("in_1")
		if inv.AttemptCount != 1 {
			t.Fatalf("engine's invoice after Decide: %d attempts; want the failed first charge staged", inv.AttemptCount)
		}
		pay, err := inv.RecordAttempt(domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0.Add(90 * time.Minute)}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
			AttemptNumber: inv.AttemptCount + 1, Amount: inv.AmountRemaining, Currency: "usd", Outcome: domain.Succeeded,
			Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorCustomer, ChargeID: "ch_customer"})
		must(err)
		must(record(t, e, "pay", eventstore.Exact(uint64(inv.Version-1)), pay...))
		invBefore, subBefore := streamTypes(t, ps, "invoice-in_1"), streamTypes(t, ps, "subscription-sub_1")
		// Another writer appends to the invoice stream: the staged batch's
		// expected revision is now stale.
		appendAsOther(t, st, domain.InvoiceFinalized{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1",
			ProductID: "prod_1", PaymentMethodID: "pm_1", Amount: 1900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"})
		before := x.count()
		fe := checkRefused(t, e.Flush(ctx), "invoice-in_1", "pay", pay[0], "in_1/1")
		if got, want := streamTypes(t, ps, "invoice-in_1"), append(invBefore, domain.TypeInvoiceFinalized); !slices.Equal(got, want) {
			t.Fatalf("invoice stream %v; want %v: the other writer's event, nothing of the refused batch", got, want)
		}
		sub := streamTypes(t, ps, "subscription-sub_1")
		if p.oneCommit && !slices.Equal(sub, subBefore) || !p.oneCommit && len(sub) <= len(subBefore) {
			t.Fatalf("subscription stream %v, %v before the flush; want the engine's decision there written only stream by stream", sub, subBefore)
		}
		checkStopped(t, e, fe, x, before)
	})
}

// TestRecordedFactTaintedByAConflict: the engine's append to a
// subscription conflicts (another writer appended to it while the engine
// charged), so the invoice's batch of the same flush, which follows it,
// is not written either. That batch began with a fact handed in through
// Record: it is not dropped to a re-read of the stream, the flush fails,
// naming it, and the engine stops. Written by Flush, the failure is its
// answer; written by Commit, which returns with the flush in flight, it is
// the answer of the next Decide, which charges nothing though another
// invoice and in_1's retry are due by then.
func TestRecordedFactTaintedByAConflict(t *testing.T) {
	for _, by := range []string{"Flush", "CommitDecide"} {
		t.Run(by, func(t *testing.T) {
			onPaths(t, func(t *testing.T, p flushPath) { testRecordedFactTaintedByAConflict(t, p, by) })
		})
	}
}

func testRecordedFactTaintedByAConflict(t *testing.T, p flushPath, by string) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	must := mustFor(t)
	var other eventstore.Store
	e, st, ps, x := pathEngine(t, p, func(r ChargeRequest) error {
		if r.InvoiceID == "in_1" && r.AttemptNumber == 1 {
			// Meanwhile, another writer: the engine's append to sub_1
			// (paused for recovery) will be refused for its expected
			// revision.
			appendAsOther(t, other, domain.SubscriptionMarkedPastDue{Base: domain.Base{OccurredAt: t0}, SubscriptionID: "sub_1", InvoiceID: "in_9"})
		}
		return nil
	})
	other = st
	evs := customerEvents(1, t0)
	appendAsOther(t, st, evs[:3]...) // the customer, card and subscription
	// Customer 2's invoice falls due a day later.
	appendAsOther(t, st, customerEvents(2, t0.Add(24*time.Hour))...)
	must(e.Commit(ctx))                                    // catches up: nothing staged
	must(record(t, e, "inv", eventstore.NoStream, evs[3])) // in_1 finalized, through the engine
	must(e.Decide(ctx, t0))                                // charges in_1: sub_1 paused, the attempt
	before := x.count()
	var err error
	switch by {
	case "Flush":
		err = e.Flush(ctx)
	case "CommitDecide":
		must(e.Commit(ctx))
		waitClosed(t, e.flights[0].done, "the flush")
		err = e.Decide(ctx, t0.Add(40*24*time.Hour))
	}
	if after := x.count(); after != before {
		t.Errorf("%s: charges, emails, webhooks %v, %v before it: the call that met the failure acted", by, after, before)
	}
	fe := checkRefused(t, err, "invoice-in_1", "inv", evs[3], "in_1/1")
	if got := streamTypes(t, ps, "invoice-in_1"); got != nil {
		t.Fatalf("invoice-in_1 holds %v; want the stream not written", got)
	}
	if got, want := streamTypes(t, ps, "subscription-sub_1"), []string{domain.TypeSubscriptionStarted, domain.TypeSubscriptionMarkedPastDue}; !slices.Equal(got, want) {
		t.Fatalf("subscription stream %v; want %v: the other writer's, nothing of the engine's", got, want)
	}
	checkStopped(t, e, fe, x, before)
}

// TestRecordedFactInAConflictedSubscriptionBatch: the subscription's
// batch itself carries a recorded fact when another writer's append makes
// it conflict. The flush fails naming it, and the invoice's batch that
// follows it (with its own recorded fact) is not written either: stream
// by stream, the invoices' appends are never sent after a subscription's
// failed.
func TestRecordedFactInAConflictedSubscriptionBatch(t *testing.T) {
	onPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ctx := context.Background()
		must := mustFor(t)
		var other eventstore.Store
		e, st, ps, x := pathEngine(t, p, func(ChargeRequest) error {
			appendAsOther(t, other, domain.SubscriptionMarkedPastDue{Base: domain.Base{OccurredAt: t0}, SubscriptionID: "sub_1", InvoiceID: "in_9"})
			return nil
		})
		other = st
		evs := customerEvents(1, t0)
		appendAsOther(t, st, evs[:3]...)
		must(e.Commit(ctx))
		// The billing system, through the engine: sub_1 is past due on an
		// earlier invoice, and in_1 is finalized.
		due := domain.SubscriptionMarkedPastDue{Base: domain.Base{OccurredAt: t0}, SubscriptionID: "sub_1", InvoiceID: "in_0"}
		must(record(t, e, "due", eventstore.Exact(0), due))
		must(record(t, e, "inv", eventstore.NoStream, evs[3]))
		must(e.Decide(ctx, t0)) // charges in_1
		before := x.count()
		fe := checkRefused(t, e.Flush(ctx), "subscription-sub_1", "due", due, "in_1/1")
		if got := streamTypes(t, ps, "invoice-in_1"); got != nil {
			t.Fatalf("invoice-in_1 holds %v; want the stream not written", got)
		}
		if got, want := streamTypes(t, ps, "subscription-sub_1"), []string{domain.TypeSubscriptionStarted, domain.TypeSubscriptionMarkedPastDue}; !slices.Equal(got, want) {
			t.Fatalf("subscription stream %v; want %v: the other writer's, nothing of the refused batch", got, want)
		}
		checkStopped(t, e, fe, x, before)
	})
}

// TestUnrecordedChargesOfARefusedFlush: one flush carries two charges'
// attempts, and in_1's batch, carrying a recorded payment, is refused.
// In one commit neither attempt is written, and the FlushError lists both
// charges; stream by stream in_2's append (which does not depend on
// in_1's) is written, and the store confirmed it, so only in_1's charge
// is listed: the list is of charges not known to be written.
func TestUnrecordedChargesOfARefusedFlush(t *testing.T) {
	onPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		e, st, ps, x := pathEngine(t, p, nil)
		ctx := context.Background()
		must := mustFor(t)
		b := domain.Base{OccurredAt: t0}
		for n := 1; n <= 2; n++ {
			recordCustomer(t, e, n, b)
			must(recordInvoice(t, e, n, b))
		}
		must(e.Flush(ctx))
		must(e.Decide(ctx, t0.Add(time.Hour))) // charges in_1 and in_2
		inv := e.Invoice("in_1")
		pay := domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0.Add(time.Hour)}, InvoiceID: "in_1", Amount: 100}
		must(record(t, e, "pay", eventstore.Exact(uint64(inv.Version-1)), pay))
		appendAsOther(t, st, domain.PartialPaymentReceived{Base: b, InvoiceID: "in_1", Amount: 200})
		before := x.count()
		want := []string{"in_1/1"}
		if p.oneCommit {
			want = append(want, "in_2/1")
		}
		fe := checkRefused(t, e.Flush(ctx), "invoice-in_1", "pay", pay, want...)
		for _, got := range fe.Unrecorded {
			if got.InvoiceID+"/1" != got.IdempotencyKey || got.AttemptNumber != 1 || got.Outcome != domain.Failed {
				t.Fatalf("unrecorded charge %+v: fields do not match its key and the gateway's answer", got)
			}
		}
		if n := countOf(streamTypes(t, ps, "invoice-in_1"), domain.TypePaymentAttempted); n != 0 {
			t.Fatalf("in_1: %d attempts written; want none", n)
		}
		if n, want := countOf(streamTypes(t, ps, "invoice-in_2"), domain.TypePaymentAttempted), map[bool]int{true: 0, false: 1}[p.oneCommit]; n != want {
			t.Fatalf("in_2: %d attempts written; want %d", n, want)
		}
		checkStopped(t, e, fe, x, before)
	})
}

// countOf counts the events of type typ among types.
func countOf(types []string, typ string) int {
	n := 0
	for _, s := range types {
		if s == typ {
			n++
		}
	}
	return n
}

// TestConflictWithoutRecordedFactsIsReread: another writer appends to an
// invoice's stream, or to its subscription's, while the engine charges
// it. The engine's batches carry no recorded fact, so the conflicted one
// is set aside (for the subscription's, with the invoice's batch that
// follows it, although that one would not conflict), both streams are
// re-read, and the engine decides again from what is recorded: the
// charge it decides again has the same idempotency key, so it sends the
// request it sent under that key, unchanged, and records what that
// request charged (sent.go). The gateway refuses a key reused with other
// parameters, as Stripe does.
//
// Subscription: the other writer marked the subscription past due; the
// invoice's amount is unchanged, so the attempt is recorded, for the
// amount charged, and its decision (with the subscription's pause for the
// recovery) written once; in_1's retry follows.
//
// Invoice: the other writer recorded a partial payment of 100, so the
// decision taken again would charge the 1,800 that remain; the engine
// sends the 1,900 request again instead, and records what it charged: a
// declined attempt of 1,900, which the ledger admits for the engine's own
// charge although less remains (no money moved). Dunning goes on under
// the next key, for the 1,800 that remain.
func TestConflictWithoutRecordedFactsIsReread(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	b := domain.Base{OccurredAt: t0}
	for _, tc := range []struct {
		name  string
		other domain.Event
		// seen checks the engine's view when it decides the charge again.
		seen func(inv *domain.Invoice, sub *domain.Subscription) bool
		// retry is the amount of in_1's first retry: what remains.
		retry int64
	}{
		{"Invoice", domain.PartialPaymentReceived{Base: b, InvoiceID: "in_1", Amount: 100},
			func(inv *domain.Invoice, _ *domain.Subscription) bool {
				return inv.AmountPaid == 100 && inv.AmountRemaining == 1800
			}, 1800},
		{"Subscription", domain.SubscriptionMarkedPastDue{Base: b, SubscriptionID: "sub_1", InvoiceID: "in_9"},
			func(_ *domain.Invoice, sub *domain.Subscription) bool {
				return sub.Status == domain.SubscriptionPastDue && sub.HeldBy == "in_9"
			}, 1900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onPaths(t, func(t *testing.T, p flushPath) {
				var (
					other eventstore.Store
					eng   *Engine
					calls int
					seen  bool
				)
				e, st, ps, x := pathEngine(t, p, func(r ChargeRequest) error {
					calls++
					switch calls {
					case 1:
						appendAsOther(t, other, tc.other)
					case 2: // decided again, on the engine's goroutine
						seen = tc.seen(eng.st.invoices["in_1"].agg, eng.st.subs["sub_1"])
					}
					return nil
				})
				other, eng = st, e
				appendAsOther(t, st, customerEvents(1, t0)...)
				if err := e.AdvanceTo(context.Background(), t0.Add(time.Hour)); err != nil {
					t.Fatalf("AdvanceTo over a conflict without recorded facts: %v; want it re-read and decided again", err)
				}
				if got := x.charged(); len(got) < 2 || got[0] != "in_1/1" || got[1] != "in_1/1" {
					t.Fatalf("charges %v; want in_1/1, then in_1/1 again: the first charge's decision re-read away, and taken again", got)
				}
				if !seen {
					t.Fatalf("the charge decided again was decided on a view without the other writer's %s", tc.other.EventType())
				}
				inv := streamTypes(t, ps, "invoice-in_1")
				sub := streamTypes(t, ps, "subscription-sub_1")
				if n := countOf(inv, domain.TypePaymentAttempted); n != 1 {
					t.Fatalf("invoice stream %v: %d attempts; want 1", inv, n)
				}
				// The subscription is paused for the recovery once, by the
				// decision that was written.
				if n := countOf(sub, domain.TypeSubscriptionPaused); n != 1 {
					t.Fatalf("subscription stream %v: paused %d times; want once", sub, n)
				}
				// The engine goes on: in_1's first retry is charged, for
				// what remains, once the attempt is recorded.
				if err := e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)); err != nil {
					t.Fatal(err)
				}
				if req, ok, _ := x.sent("in_1/2"); !ok || req.Amount != tc.retry {
					t.Fatalf("charges %v, in_1/2 for %d; want in_1's retry after the re-read, for %d", x.charged(), req.Amount, tc.retry)
				}
				checkChargedAsRecorded(t, ps, x)
				// No request is kept: every attempt sent is written.
				checkNoneKept(t, e)
			})
		})
	}
}

// TestChargeAfterAnUnknownOutcome: the gateway's answer to in_1's first
// charge is lost (an error: the outcome is unknown), and meanwhile another
// writer records a partial payment. When the engine tries again, the
// decision is for the 1,800 that remain, under the same key: it sends the
// first request (1,900) again, unchanged, which the gateway answers
// (declined), and records that attempt as charged, for 1,900; dunning goes
// on under the next key for the 1,800 that remain. On every flush path.
func TestChargeAfterAnUnknownOutcome(t *testing.T) {
	onPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var other eventstore.Store
		calls := 0
		e, st, ps, x := pathEngine(t, p, func(r ChargeRequest) error {
			if calls++; calls == 1 {
				appendAsOther(t, other, domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", Amount: 100})
				return errors.New("gateway: connection reset")
			}
			return nil
		})
		other = st
		appendAsOther(t, st, customerEvents(1, t0)...)
		ctx := context.Background()
		mustFor(t)(e.AdvanceTo(ctx, t0.Add(time.Hour)))
		if inv := e.Invoice("in_1"); inv.AmountRemaining != 1800 {
			t.Fatalf("engine's in_1: %d remaining; want the other writer's payment applied", inv.AmountRemaining)
		}
		mustFor(t)(e.AdvanceTo(ctx, t0.Add(30*24*time.Hour)))
		got := x.charged()
		if len(got) < 3 || got[0] != "in_1/1" || got[1] != "in_1/1" || !slices.Contains(got, "in_1/2") {
			t.Fatalf("charges %v; want in_1/1 tried again, then dunning under in_1/2", got)
		}
		if req, _, _ := x.sent("in_1/1"); req.Amount != 1900 {
			t.Fatalf("in_1/1 sent for %d; want the first decision's 1900", req.Amount)
		}
		if req, _, _ := x.sent("in_1/2"); req.Amount != 1800 {
			t.Fatalf("in_1/2 sent for %d; want the 1800 that remain", req.Amount)
		}
		if types := streamTypes(t, ps, "invoice-in_1"); countOf(types, domain.TypeDunningStarted) != 1 {
			t.Fatalf("in_1: %v; want dunning started after the declined 1900", types)
		}
		checkChargedAsRecorded(t, ps, x)
	})
}

// TestChargeKeyReusedAfterARestart: an engine charges in_1 1,900 under
// in_1/1 and the answer is lost (the charge was made); it is stopped
// before trying again, and its store closed. Meanwhile another writer
// records a partial payment of 100. A new engine on the same Pebble
// directory has no memory of that request: it decides a charge of the
// 1,800 that remain, under the same key, which the gateway refuses
// (ErrKeyReused, as Stripe). The engine logs the charge to be reconciled
// by its key and does not try it again; no attempt is written.
func TestChargeKeyReusedAfterARestart(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	x := &effects{first: map[string]ChargeRequest{}}
	lost := true
	gw := GatewayFunc(func(ctx context.Context, r ChargeRequest) (ChargeResult, error) {
		if err := x.take(r); err != nil {
			return ChargeResult{}, err
		}
		if lost {
			return ChargeResult{}, errors.New("gateway: connection reset")
		}
		return declined(ctx, r)
	})
	open := func(lb *logBuf) (*Engine, *pebble.Store) {
		ps, err := pebble.Open(dir, pebble.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e, err := New(ps, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0), WithLogger(slog.New(slog.NewTextHandler(lb, nil))))
		if err != nil {
			t.Fatal(err)
		}
		return e, ps
	}
	e, ps := open(&logBuf{})
	appendAsOther(t, ps, customerEvents(1, t0)...)
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(time.Second)))
	if got := x.charged(); !slices.Equal(got, []string{"in_1/1"}) {
		t.Fatalf("charges before the restart %v; want in_1/1 once", got)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	appendAsOther(t, ps, domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", Amount: 100})
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	lost = false
	lb := &logBuf{}
	e, ps = open(lb)
	t.Cleanup(func() { e.Close(); ps.Close() })
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
	if got := x.charged(); !slices.Equal(got, []string{"in_1/1", "in_1/1"}) {
		t.Fatalf("charges %v; want in_1/1 before the restart and once after, refused, and not tried again", got)
	}
	if _, _, reused := x.sent(""); !slices.Equal(reused, []string{"in_1/1"}) {
		t.Fatalf("keys refused as reused %v; want in_1/1", reused)
	}
	if log := lb.String(); !strings.Contains(log, "reconcile it by idempotency key") || !strings.Contains(log, "key=in_1/1") || !strings.Contains(log, "amount=1800") {
		t.Fatalf("log does not name in_1/1 (1800 decided) to be reconciled:\n%s", log)
	}
	if n := countOf(streamTypes(t, ps, "invoice-in_1"), domain.TypePaymentAttempted); n != 0 {
		t.Fatalf("in_1: %d attempts written; want none", n)
	}
}

// checkChargedAsRecorded checks that the gateway never saw a key reused
// with other parameters, and that every attempt written to in_1's stream
// is the request sent under its key: its amount, card and currency.
func checkChargedAsRecorded(t *testing.T, ps *pebble.Store, x *effects) {
	t.Helper()
	recs, err := ps.ReadStream(context.Background(), "invoice-in_1", eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.Type != domain.TypePaymentAttempted {
			continue
		}
		ev, err := domain.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		a := ev.(domain.PaymentAttempted)
		key := fmt.Sprint(a.InvoiceID, "/", a.AttemptNumber)
		req, ok, _ := x.sent(key)
		if !ok || a.Amount != req.Amount || a.PaymentMethodID != req.PaymentMethodID || a.Currency != req.Currency {
			t.Errorf("attempt %s recorded for %d %s on %s; charged %+v", key, a.Amount, a.Currency, a.PaymentMethodID, req)
		}
	}
	if _, _, reused := x.sent(""); len(reused) > 0 {
		t.Errorf("keys sent again with other parameters (the gateway refused them): %v", reused)
	}
}

// TestRecordedAppendFailingOtherwise: a recorded append the store refuses
// for another reason than its expected revision (here data that is not
// the JSON its content type says) fails the flush with the store's error,
// naming the append, on both paths; it is not reported as a conflict
// (errRecordedRefused is the refusal of an expected revision).
func TestRecordedAppendFailingOtherwise(t *testing.T) {
	onPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		e, _, ps, _ := pathEngine(t, p, nil)
		ctx := context.Background()
		must := mustFor(t)
		b := domain.Base{OccurredAt: t0}
		recordCustomer(t, e, 1, b)
		must(e.Flush(ctx))
		ev := domain.CardActivityObserved{Base: b, PaymentMethodID: "pm_1", DeviceID: "dev"}
		bad := eventstore.EventData{ID: recordedID("bad", 0), Type: ev.EventType(), ContentType: eventstore.ContentTypeJSON, Data: []byte(`{"payment_method_id":`)}
		must(e.Record(ctx, ev.StreamName(), eventstore.Any, []domain.Event{ev}, []eventstore.EventData{bad}))
		err := e.Flush(ctx)
		var fe *FlushError
		if !errors.As(err, &fe) || !errors.Is(err, eventstore.ErrInvalidArgument) {
			t.Fatalf("flush of a recorded append with bad data: %v; want a *FlushError for the store's invalid argument", err)
		}
		if errors.Is(err, errRecordedRefused) || errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			t.Fatalf("flush of a recorded append with bad data: %v; reported as a refused expected revision", err)
		}
		if named := ev.EventType() + " " + bad.ID.String(); fe.Stream != ev.StreamName() || !slices.Equal(fe.Events, []string{named}) {
			t.Fatalf("FlushError names %s %v; want %s with the bad event %s", fe.Stream, fe.Events, ev.StreamName(), named)
		}
		if got := streamTypes(t, ps, ev.StreamName()); len(got) != 1 {
			t.Fatalf("%s holds %v; want only the card's attachment", ev.StreamName(), got)
		}
	})
}
