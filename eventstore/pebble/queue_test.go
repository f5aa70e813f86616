package pebble

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

// TestQueueAppendBatchAppliesInQueueOrder: appends queued one after
// another, each before the previous is written, are applied in queue
// order: the second may expect the revision the first leaves its stream
// at, and their events take positions in that order. A queued append the
// store refuses writes nothing and reports its error through wait; one
// refused at validation is not queued at all.
func TestQueueAppendBatchAppliesInQueueOrder(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var waits []func() ([]eventstore.AppendResult, error)
	queue := func(reqs ...eventstore.AppendRequest) {
		t.Helper()
		w, err := s.QueueAppendBatch(ctx, nil, reqs)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	// Ten rounds on two streams, each round expecting what the previous
	// leaves, all queued before the first is awaited.
	const rounds = 10
	for r := range rounds {
		exp := eventstore.NoStream
		if r > 0 {
			exp = eventstore.Exact(uint64(r - 1))
		}
		queue(eventstore.AppendRequest{Stream: "a", Expected: exp, Events: []eventstore.EventData{jsonEvent(2 * r)}},
			eventstore.AppendRequest{Stream: "b", Expected: exp, Events: []eventstore.EventData{jsonEvent(2*r + 1)}})
	}
	// A stale expectation queued behind them is refused, and writes nothing.
	queue(eventstore.AppendRequest{Stream: "c", Expected: eventstore.NoStream, Events: []eventstore.EventData{jsonEvent(100)}},
		eventstore.AppendRequest{Stream: "a", Expected: eventstore.Exact(0), Events: []eventstore.EventData{jsonEvent(101)}})
	for i, w := range waits[:rounds] {
		res, err := w()
		if err != nil || len(res) != 2 || res[0].NextExpectedRevision != uint64(i) || res[1].Position.Commit != uint64(2*i+2) {
			t.Fatalf("round %d: %+v, %v; want revision %d, b at position %d", i, res, err, i, 2*i+2)
		}
	}
	_, err = waits[rounds]()
	var be *eventstore.BatchError
	if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("stale queued append: %v; want a wrong expected version of requests[1]", err)
	}
	if _, err := s.ReadStream(ctx, "c", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream c of the refused append: %v", err)
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil || len(all) != 2*rounds {
		t.Fatalf("$all: %d events, %v; want %d", len(all), err, 2*rounds)
	}
	for i, r := range all {
		if want := []string{"a", "b"}[i%2]; r.Stream != want || r.Revision != uint64(i/2) {
			t.Fatalf("$all[%d] is %s@%d, want %s@%d (queue order)", i, r.Stream, r.Revision, want, i/2)
		}
	}
	bad := jsonEvent(200)
	bad.Data = []byte("{not json")
	if _, err := s.QueueAppendBatch(ctx, nil, []eventstore.AppendRequest{{Stream: "d", Expected: eventstore.Any, Events: []eventstore.EventData{bad}}}); !errors.Is(err, eventstore.ErrInvalidArgument) {
		t.Fatalf("invalid data: %v; want it refused before queueing", err)
	}
}

// TestQueueChainRefusesAfterARefusal: appends queued on one chain stand
// or fall in order. Once one is refused, a later one of the chain is
// refused too, even one that would pass on its own (Any, another
// stream), so a writer's later append is never written without an
// earlier one; an append queued without the chain is not affected.
func TestQueueChainRefusesAfterARefusal(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, "pm", eventstore.NoStream, jsonEvent(1), jsonEvent(2)); err != nil {
		t.Fatal(err)
	}
	var chain eventstore.QueueChain
	queue := func(c *eventstore.QueueChain, reqs ...eventstore.AppendRequest) func() ([]eventstore.AppendResult, error) {
		t.Helper()
		w, err := s.QueueAppendBatch(ctx, c, reqs)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	ok := queue(&chain, eventstore.AppendRequest{Stream: "x", Expected: eventstore.NoStream, Events: []eventstore.EventData{jsonEvent(3)}})
	stale := queue(&chain, eventstore.AppendRequest{Stream: "pm", Expected: eventstore.Exact(0), Events: []eventstore.EventData{jsonEvent(4)}})
	later := queue(&chain, eventstore.AppendRequest{Stream: "y", Expected: eventstore.Any, Events: []eventstore.EventData{jsonEvent(5)}})
	other := queue(nil, eventstore.AppendRequest{Stream: "z", Expected: eventstore.Any, Events: []eventstore.EventData{jsonEvent(6)}})
	if _, err := ok(); err != nil {
		t.Fatalf("the chain's first append: %v", err)
	}
	if _, err := stale(); !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("stale append: %v; want a wrong expected version", err)
	}
	_, err = later()
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) || !strings.Contains(err.Error(), "earlier append of its chain") {
		t.Fatalf("append after the chain's refusal: %v; want it refused", err)
	}
	// The earlier refusal's BatchError indexes that append's requests,
	// not this one's: it is quoted, not wrapped.
	if be := (*eventstore.BatchError)(nil); errors.As(err, &be) {
		t.Fatalf("append after the chain's refusal carries the earlier one's BatchError (index %d)", be.Index)
	}
	if _, err := s.ReadStream(ctx, "y", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream y after the chain's refusal: %v; want nothing written", err)
	}
	if _, err := other(); err != nil {
		t.Fatalf("an append outside the chain: %v", err)
	}
	if chain.Broken() == nil {
		t.Fatal("the chain does not record its refusal")
	}
}
