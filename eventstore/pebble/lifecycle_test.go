package pebble

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

func jsonEvent(i int) eventstore.EventData {
	return eventstore.EventData{Type: "Tested", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}
}

func TestSecondOpenIsRefused(t *testing.T) {
	s, dir := openTemp(t, Options{})
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open of %s: %v, want ErrLocked", dir, err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("message %q does not say which directory is in use", err)
	}
	// The first store is unharmed, and once closed the directory opens.
	if _, err := s.Append(context.Background(), "a", eventstore.Any, jsonEvent(0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id := uuid.New()
	first, err := s.Append(ctx, "invoice-1", eventstore.NoStream, eventstore.EventData{ID: id, Type: "A", Data: []byte(`{}`)}, jsonEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "invoice-2", eventstore.NoStream, jsonEvent(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "invoice-2", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	if err := s.Tombstone(ctx, "invoice-3", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	max := uint64(1)
	if err := s.SetStreamMetadata(ctx, "invoice-1", eventstore.NoStream, eventstore.StreamMetadata{MaxCount: &max}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The event ID index is persistent: the repeat still writes nothing.
	again, err := s.Append(ctx, "invoice-1", eventstore.NoStream, eventstore.EventData{ID: id, Type: "A", Data: []byte(`{}`)})
	if err != nil || again.NextExpectedRevision != 0 || again.Position.Commit != first.Position.Commit-1 {
		t.Fatalf("repeat after reopen: %+v, %v; want revision 0 at %d", again, err, first.Position.Commit-1)
	}
	next, err := s.Append(ctx, "invoice-1", eventstore.Exact(1), jsonEvent(3))
	if err != nil || next.NextExpectedRevision != 2 || next.Position.Commit != first.Position.Commit+2 {
		t.Fatalf("append after reopen: %+v, %v", next, err)
	}
	if evs, _ := s.ReadStream(ctx, "invoice-1", eventstore.ReadStreamOptions{}); len(evs) != 1 || evs[0].Revision != 2 {
		t.Fatalf("max count 1 after reopen shows %d events", len(evs))
	}
	if _, err := s.ReadStream(ctx, "invoice-2", eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("soft-deleted stream after reopen: %v", err)
	}
	if _, err := s.Append(ctx, "invoice-3", eventstore.Any, jsonEvent(4)); !errors.Is(err, eventstore.ErrStreamDeleted) {
		t.Fatalf("tombstoned stream after reopen: %v", err)
	}
}

// TestRepeatedIDs covers what the contract leaves to the backend: partial
// overlaps and reordered repeats are refused, naming the event.
func TestRepeatedIDs(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	evs := make([]eventstore.EventData, 3)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: ids[i], Type: "T", Data: []byte(`{}`)}
	}
	orig, err := s.Append(ctx, "x", eventstore.NoStream, evs...)
	if err != nil {
		t.Fatal(err)
	}
	fresh := eventstore.EventData{ID: uuid.New(), Type: "T", Data: []byte(`{}`)}
	cases := []struct {
		name   string
		events []eventstore.EventData
		field  string // empty: a repeat that succeeds
		rev    uint64
	}{
		{"whole", evs, "", 2},
		{"prefix", evs[:2], "", 1},
		{"middle", evs[1:2], "", 1},
		{"repeat plus a new event", append(append([]eventstore.EventData(nil), evs...), fresh), "events[3].ID", 0},
		{"new event first", []eventstore.EventData{fresh, evs[0]}, "events[1].ID", 0},
		{"reordered", []eventstore.EventData{evs[1], evs[0]}, "events[1].ID", 0},
		{"with a store-chosen ID", []eventstore.EventData{evs[0], {Type: "T", Data: []byte(`{}`)}}, "events[1].ID", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Append(ctx, "x", eventstore.Exact(7), c.events...)
			if c.field == "" {
				if err != nil || res.NextExpectedRevision != c.rev || res.Position.Commit != orig.Position.Commit-2+c.rev {
					t.Fatalf("repeat: %+v, %v; want revision %d", res, err, c.rev)
				}
				return
			}
			var e *eventstore.Error
			if !errors.As(err, &e) || !errors.Is(err, eventstore.ErrInvalidArgument) || e.Field != c.field {
				t.Fatalf("got %v, want invalid argument naming %s", err, c.field)
			}
		})
	}
	if got, _ := s.ReadStream(ctx, "x", eventstore.ReadStreamOptions{}); len(got) != 3 {
		t.Fatalf("stream holds %d events, want 3", len(got))
	}
	// The same IDs in another stream are new events there.
	if res, err := s.Append(ctx, "y", eventstore.NoStream, evs...); err != nil || res.NextExpectedRevision != 2 {
		t.Fatalf("same IDs in another stream: %+v, %v", res, err)
	}
}

func TestMaxEventSizeOption(t *testing.T) {
	s, _ := openTemp(t, Options{MaxEventSize: 100})
	big := eventstore.EventData{Type: "T", ContentType: eventstore.ContentTypeBinary, Data: make([]byte, 101)}
	_, err := s.Append(context.Background(), "x", eventstore.Any, big)
	var e *eventstore.Error
	if !errors.As(err, &e) || e.Field != "events[0].Data" {
		t.Fatalf("101 bytes with a limit of 100: %v", err)
	}
	big.Data = big.Data[:100]
	if _, err := s.Append(context.Background(), "x", eventstore.Any, big); err != nil {
		t.Fatalf("100 bytes with a limit of 100: %v", err)
	}
}

// TestCloseWithAppendsInFlight closes the store while appends race it:
// each append either succeeded, and is there after reopening, or failed
// with ErrClosed and wrote nothing.
func TestCloseWithAppendsInFlight(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		stream string
		n      int
		err    error
	}
	results := make(chan result, 10000)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				stream := fmt.Sprintf("close-%d-%d", g, i)
				n := 1 + i%4
				evs := make([]eventstore.EventData, n)
				for k := range evs {
					evs[k] = jsonEvent(k)
				}
				_, err := s.Append(context.Background(), stream, eventstore.NoStream, evs...)
				results <- result{stream, n, err}
				if err != nil {
					return
				}
			}
		})
	}
	time.Sleep(30 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(results)
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ok := 0
	for r := range results {
		evs, rerr := s.ReadStream(context.Background(), r.stream, eventstore.ReadStreamOptions{})
		switch {
		case r.err == nil:
			ok++
			if len(evs) != r.n {
				t.Fatalf("acknowledged append to %s: %d of %d events after reopen (%v)", r.stream, len(evs), r.n, rerr)
			}
		case errors.Is(r.err, eventstore.ErrClosed):
			if !errors.Is(rerr, eventstore.ErrStreamNotFound) {
				t.Fatalf("append refused at close wrote to %s: %d events, %v", r.stream, len(evs), rerr)
			}
		default:
			t.Fatalf("append during close: %v", r.err)
		}
	}
	if ok == 0 {
		t.Fatal("no append succeeded before close")
	}
}

// TestSlowSubscriberDoesNotBlockAppends keeps a subscription that never
// receives while appending far more than any buffer would hold.
func TestSlowSubscriberDoesNotBlockAppends(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for i := range 50 {
		evs := make([]eventstore.EventData, 1000)
		for k := range evs {
			evs[k] = jsonEvent(k)
		}
		if _, err := s.Append(ctx, fmt.Sprintf("slow-%d", i), eventstore.NoStream, evs...); err != nil {
			t.Fatalf("append %d with an idle subscriber: %v", i, err)
		}
	}
	// The subscriber then catches up with all of it, in order.
	var last eventstore.Position
	for n := 0; n < 50_000; {
		m, err := sub.Recv(ctx)
		if err != nil {
			t.Fatalf("recv after %d events: %v", n, err)
		}
		if m.Event != nil {
			if !last.Less(m.Event.Position) {
				t.Fatalf("event at %v after %v", m.Event.Position, last)
			}
			last = m.Event.Position
			n++
		}
	}
}

func TestStoreClosedEndsSubscription(t *testing.T) {
	s, _ := openTemp(t, Options{})
	sub, err := s.SubscribeToAll(context.Background(), eventstore.SubscribeOptions{From: eventstore.End})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Recv(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	s.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, eventstore.ErrClosed) || !errors.Is(err, eventstore.ErrSubscriptionClosed) {
			t.Fatalf("recv when the store closed: %v, want ErrClosed and ErrSubscriptionClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("closing the store did not wake the subscriber")
	}
}

func TestSubscribeBadOptions(t *testing.T) {
	s, _ := openTemp(t, Options{})
	cases := []struct {
		opts  eventstore.SubscribeOptions
		field string
	}{
		{eventstore.SubscribeOptions{CheckpointInterval: -1}, "CheckpointInterval"},
		{eventstore.SubscribeOptions{Filter: eventstore.Filter{Kind: eventstore.FilterEventType}}, "Filter.Prefixes"},
		{eventstore.SubscribeOptions{Filter: eventstore.Filter{Kind: 9, Prefixes: []string{"a"}}}, "Filter.Kind"},
	}
	for _, c := range cases {
		_, err := s.SubscribeToAll(context.Background(), c.opts)
		var e *eventstore.Error
		if !errors.As(err, &e) || e.Field != c.field {
			t.Errorf("subscribe %+v: %v, want invalid %s", c.opts, err, c.field)
		}
	}
}
