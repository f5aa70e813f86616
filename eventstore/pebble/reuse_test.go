package pebble

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// TestSubscribeReuse catches up with Reuse over several refills (and
// receives live events after) and checks that each event, copied as
// received, equals the same event read with ReadAll; and that the
// reused memory is indeed overwritten by later refills, which is what
// obliges a subscriber to copy.
func TestSubscribeReuse(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const streams, perStream = 12, 1000 // 12,000 events: three refills and more
	for i := range streams {
		evs := make([]eventstore.EventData, perStream)
		for k := range evs {
			evs[k] = eventstore.EventData{Type: fmt.Sprintf("T%d", k%3), Data: []byte(fmt.Sprintf(`{"stream":%d,"k":%d}`, i, k)),
				Metadata: []byte(fmt.Sprintf(`{"m":%d}`, k))}
		}
		if _, err := s.Append(ctx, fmt.Sprintf("reuse-%d", i), eventstore.NoStream, evs...); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.Start, Count: streams*perStream + 1})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true, Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	type copied struct {
		ev          eventstore.RecordedEvent
		stream, typ string
		data, meta  []byte
		orig        *eventstore.RecordedEvent
		origData    []byte
	}
	recv := func() copied {
		t.Helper()
		for {
			m, err := sub.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if e := m.Event; e != nil {
				return copied{ev: *e, stream: strings.Clone(e.Stream), typ: strings.Clone(e.Type), data: bytes.Clone(e.Data), meta: bytes.Clone(e.Metadata),
					orig: e, origData: e.Data}
			}
		}
	}
	var got []copied
	for range want {
		got = append(got, recv())
	}
	overwritten := 0
	for i, c := range got {
		w := want[i]
		if c.ev.Position != w.Position || c.stream != w.Stream || c.typ != w.Type || c.ev.ID != w.ID ||
			!bytes.Equal(c.data, w.Data) || !bytes.Equal(c.meta, w.Metadata) {
			t.Fatalf("event %d: got %s %v %s %s, want %s %v %s %s", i, c.stream, c.ev.Position, c.data, c.meta,
				w.Stream, w.Position, w.Data, w.Metadata)
		}
		if c.orig.Position != c.ev.Position || !bytes.Equal(c.origData, c.data) {
			overwritten++
		}
	}
	if overwritten == 0 {
		t.Fatal("no delivered event was reused by a later refill")
	}
	// Live events after the catch-up arrive as well.
	if _, err := s.Append(ctx, "reuse-live", eventstore.NoStream, jsonEvent(7)); err != nil {
		t.Fatal(err)
	}
	if c := recv(); c.stream != "reuse-live" || string(c.data) != `{"i":7}` {
		t.Fatalf("live event: %s %s", c.stream, c.data)
	}
}
