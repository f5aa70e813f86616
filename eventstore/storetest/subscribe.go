package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// received is what a subscription delivered: the test's events, and every
// checkpoint.
type received struct {
	events      []eventstore.RecordedEvent
	checkpoints []eventstore.Position
	// cpAfter[i] is how many events were delivered before checkpoint i.
	cpAfter []int
}

// collect receives until want events of the test arrived.
func collect(t *testing.T, sub eventstore.Subscription, n names, want int) received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var r received
	for len(r.events) < want {
		m, err := sub.Recv(ctx)
		if err != nil {
			t.Fatalf("recv after %d of %d events: %v", len(r.events), want, err)
		}
		switch {
		case m.Event != nil:
			if got := ofTest(n, []eventstore.RecordedEvent{*m.Event}); len(got) == 1 {
				r.events = append(r.events, got[0])
			}
		case m.Checkpoint != nil:
			r.checkpoints = append(r.checkpoints, *m.Checkpoint)
			r.cpAfter = append(r.cpAfter, len(r.events))
		default:
			t.Fatal("message with neither event nor checkpoint")
		}
	}
	return r
}

func subscribe(t *testing.T, s eventstore.Store, opts eventstore.SubscribeOptions) eventstore.Subscription {
	t.Helper()
	sub, err := s.SubscribeToAll(ctxT(t), opts)
	if err != nil {
		t.Fatalf("subscribe %+v: %v", opts, err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

func testSubscribe(t *testing.T, newStore NewStore) {
	t.Run("from start then live", func(t *testing.T) {
		s := newStore(t)
		n := newNames()
		typ := n.typ("Sub")
		mustAppend(t, s, n.stream("a"), eventstore.NoStream, events(typ, 0, 3)...)
		mustAppend(t, s, n.stream("b"), eventstore.NoStream, events(typ, 3, 2)...)
		sub := subscribe(t, s, eventstore.SubscribeOptions{FromStart: true, Filter: eventstore.Filter{Kind: eventstore.FilterStreamName, Prefixes: []string{n.prefix}}})
		got := collect(t, sub, n, 5)
		want := allOf(t, s, n, eventstore.Start)
		sameEvents(t, "catch-up", got.events, want)
		// Live: appended after catch-up, delivered in order.
		done := make(chan received, 1)
		go func() { done <- collectQuiet(sub, n, 4) }()
		mustAppend(t, s, n.stream("a"), eventstore.Exact(2), events(typ, 5, 2)...)
		mustAppend(t, s, n.stream("c"), eventstore.NoStream, events(typ, 7, 2)...)
		live := <-done
		all := allOf(t, s, n, eventstore.Start)
		sameEvents(t, "live", live.events, all[5:])
	})
	t.Run("from an exclusive position", func(t *testing.T) {
		s := newStore(t)
		n := newNames()
		typ := n.typ("Excl")
		mustAppend(t, s, n.stream("a"), eventstore.NoStream, events(typ, 0, 6)...)
		all := allOf(t, s, n, eventstore.Start)
		sub := subscribe(t, s, eventstore.SubscribeOptions{From: all[2].Position, Filter: eventstore.Filter{Kind: eventstore.FilterStreamName, Prefixes: []string{n.prefix}}})
		got := collect(t, sub, n, 3)
		sameEvents(t, "after position", got.events, all[3:])
	})
	t.Run("filters", func(t *testing.T) {
		s := newStore(t)
		n := newNames()
		inv, sub1 := n.stream("invoice-1"), n.stream("subscription-1")
		paid, failed := n.typ("InvoicePaid"), n.typ("PaymentFailed")
		mustAppend(t, s, inv, eventstore.NoStream, event(failed, 0), event(paid, 1))
		mustAppend(t, s, sub1, eventstore.NoStream, event(failed, 2), event(n.typ("Other"), 3))
		mustAppend(t, s, inv, eventstore.Exact(1), event(failed, 4))
		all := allOf(t, s, n, eventstore.Start)
		cases := []struct {
			name   string
			filter eventstore.Filter
			want   []eventstore.RecordedEvent
		}{
			{"event type", eventstore.Filter{Kind: eventstore.FilterEventType, Prefixes: []string{failed}}, pick(all, 0, 2, 4)},
			{"two event types", eventstore.Filter{Kind: eventstore.FilterEventType, Prefixes: []string{paid, n.typ("Oth")}}, pick(all, 1, 3)},
			{"stream prefix", eventstore.Filter{Kind: eventstore.FilterStreamName, Prefixes: []string{n.stream("invoice-")}}, pick(all, 0, 1, 4)},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sub := subscribe(t, s, eventstore.SubscribeOptions{FromStart: true, Filter: c.filter})
				got := collect(t, sub, n, len(c.want))
				sameEvents(t, c.name, got.events, c.want)
				for _, e := range got.events {
					if !c.filter.Match(e.Stream, e.Type) {
						t.Fatalf("delivered %s %s, which the filter excludes", e.Stream, e.Type)
					}
				}
			})
		}
	})
	t.Run("checkpoints", func(t *testing.T) { testCheckpoints(t, newStore) })
	t.Run("close and context", func(t *testing.T) {
		s := newStore(t)
		sub := subscribe(t, s, eventstore.SubscribeOptions{From: eventstore.End})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := sub.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("recv with nothing to deliver and an expiring context: %v, want deadline exceeded", err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := sub.Recv(context.Background())
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond)
		if err := sub.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		select {
		case err := <-errc:
			expectErr(t, "recv blocked during close", err, eventstore.ErrSubscriptionClosed)
		case <-time.After(10 * time.Second):
			t.Fatal("close did not wake a blocked recv")
		}
		_, err := sub.Recv(context.Background())
		expectErr(t, "recv after close", err, eventstore.ErrSubscriptionClosed)
	})
}

// testCheckpoints checks checkpoints arrive while filtered events are
// skipped, never run ahead of undelivered events, and resuming from one
// delivers exactly the matching events after it.
func testCheckpoints(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	keep, skip := n.typ("Keep"), n.typ("Skip")
	for i := range 10 {
		mustAppend(t, s, n.stream("cp"), eventstore.Any, event(skip, i), event(skip, i), event(keep, i))
	}
	all := allOf(t, s, n, eventstore.Start)
	kept := pick(all, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29)
	filter := eventstore.Filter{Kind: eventstore.FilterEventType, Prefixes: []string{keep}}
	sub := subscribe(t, s, eventstore.SubscribeOptions{FromStart: true, Filter: filter, CheckpointInterval: 2})
	got := collect(t, sub, n, len(kept))
	sameEvents(t, "filtered", got.events, kept)
	if len(got.checkpoints) == 0 {
		t.Fatal("no checkpoint while scanning 30 events with interval 2")
	}
	for i := 1; i < len(got.checkpoints); i++ {
		if got.checkpoints[i].Less(got.checkpoints[i-1]) {
			t.Fatalf("checkpoints go backwards: %v", got.checkpoints)
		}
	}
	for i, cp := range got.checkpoints {
		k := got.cpAfter[i]
		if k > 0 && cp.Less(got.events[k-1].Position) {
			t.Fatalf("checkpoint %v comes after event at %v but precedes it", cp, got.events[k-1].Position)
		}
		if k < len(got.events) && !cp.Less(got.events[k].Position) {
			t.Fatalf("checkpoint %v runs ahead of the undelivered event at %v", cp, got.events[k].Position)
		}
	}
	// Resume from a checkpoint in the middle: exactly the kept events after it.
	cp := got.checkpoints[len(got.checkpoints)/2]
	var after []eventstore.RecordedEvent
	for _, e := range kept {
		if cp.Less(e.Position) {
			after = append(after, e)
		}
	}
	if len(after) == 0 {
		return
	}
	sub2 := subscribe(t, s, eventstore.SubscribeOptions{From: cp, Filter: filter})
	sameEvents(t, "resumed from checkpoint", collect(t, sub2, n, len(after)).events, after)
}

// collectQuiet is collect for a goroutine: errors end it early.
func collectQuiet(sub eventstore.Subscription, n names, want int) received {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var r received
	for len(r.events) < want {
		m, err := sub.Recv(ctx)
		if err != nil {
			return r
		}
		if m.Event != nil {
			r.events = append(r.events, ofTest(n, []eventstore.RecordedEvent{*m.Event})...)
		}
	}
	return r
}

func pick(evs []eventstore.RecordedEvent, idx ...int) []eventstore.RecordedEvent {
	out := make([]eventstore.RecordedEvent, len(idx))
	for i, j := range idx {
		out[i] = evs[j]
	}
	return out
}

func sameEvents(t *testing.T, what string, got, want []eventstore.RecordedEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %s, want %s", what, describe(got), describe(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position || got[i].Revision != want[i].Revision || got[i].Stream != want[i].Stream {
			t.Fatalf("%s: event %d is %s, want %s", what, i, describe(got[i:i+1]), describe(want[i:i+1]))
		}
	}
}
