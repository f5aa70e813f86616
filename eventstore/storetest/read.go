package storetest

import (
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

func testReadStream(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	stream := n.stream("read")
	mustAppend(t, s, stream, eventstore.NoStream, events(n.typ("Read"), 0, 10)...)
	fwd, bwd := eventstore.Forwards, eventstore.Backwards
	cases := []struct {
		name string
		opts eventstore.ReadStreamOptions
		want []uint64
	}{
		{"forwards from 0", eventstore.ReadStreamOptions{}, seq(0, 9)},
		{"forwards from 4", eventstore.ReadStreamOptions{From: 4}, seq(4, 9)},
		{"forwards from 4 count 3", eventstore.ReadStreamOptions{From: 4, Count: 3}, seq(4, 6)},
		{"forwards count past the end", eventstore.ReadStreamOptions{From: 8, Count: 5}, seq(8, 9)},
		{"forwards from past the end", eventstore.ReadStreamOptions{From: 10}, nil},
		{"forwards from the end", eventstore.ReadStreamOptions{Direction: fwd, FromEnd: true}, nil},
		{"backwards from the end", eventstore.ReadStreamOptions{Direction: bwd, FromEnd: true}, seq(9, 0)},
		{"backwards from the end count 2", eventstore.ReadStreamOptions{Direction: bwd, FromEnd: true, Count: 2}, seq(9, 8)},
		{"backwards from 5", eventstore.ReadStreamOptions{Direction: bwd, From: 5}, seq(5, 0)},
		{"backwards from 5 count 3", eventstore.ReadStreamOptions{Direction: bwd, From: 5, Count: 3}, seq(5, 3)},
		{"backwards from 0", eventstore.ReadStreamOptions{Direction: bwd, From: 0}, seq(0, 0)},
		{"backwards from past the end", eventstore.ReadStreamOptions{Direction: bwd, From: 50, Count: 2}, seq(9, 8)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustRead(t, s, stream, c.opts)
			if !equalRevs(got, c.want...) {
				t.Fatalf("revisions %v, want %v", revisions(got), c.want)
			}
			for _, e := range got {
				if e.Stream != stream {
					t.Fatalf("event of stream %q in a read of %q", e.Stream, stream)
				}
			}
		})
	}
	t.Run("missing stream", func(t *testing.T) {
		_, err := s.ReadStream(ctxT(t), n.stream("never-written"), eventstore.ReadStreamOptions{})
		expectErr(t, "read of a missing stream", err, eventstore.ErrStreamNotFound)
		_, err = s.ReadStream(ctxT(t), n.stream("never-written"), eventstore.ReadStreamOptions{Direction: bwd, FromEnd: true})
		expectErr(t, "backwards read of a missing stream", err, eventstore.ErrStreamNotFound)
	})
	t.Run("streams sharing a name prefix stay apart", func(t *testing.T) {
		mustAppend(t, s, stream+"x", eventstore.NoStream, event(n.typ("Read"), 99))
		if got := readAllForward(t, s, stream); len(got) != 10 {
			t.Fatalf("read of %s returned %d events, want 10", stream, len(got))
		}
		if got := readAllForward(t, s, stream+"x"); len(got) != 1 {
			t.Fatalf("read of %sx returned %d events, want 1", stream, len(got))
		}
	})
}

func testReadAll(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("All")
	before := lastPosition(t, s)
	a, b := n.stream("a"), n.stream("b")
	mustAppend(t, s, a, eventstore.NoStream, events(typ, 0, 3)...)
	mustAppend(t, s, b, eventstore.NoStream, events(typ, 3, 2)...)
	mustAppend(t, s, a, eventstore.Exact(2), events(typ, 5, 2)...)
	want := []struct {
		stream string
		rev    uint64
	}{{a, 0}, {a, 1}, {a, 2}, {b, 0}, {b, 1}, {a, 3}, {a, 4}}
	all := allOf(t, s, n, before)
	if len(all) != len(want) {
		t.Fatalf("$all holds %s, want %d events", describe(all), len(want))
	}
	for i, w := range want {
		if all[i].Stream != w.stream || all[i].Revision != w.rev {
			t.Fatalf("$all[%d] = %s@%d, want %s@%d", i, all[i].Stream, all[i].Revision, w.stream, w.rev)
		}
		if i > 0 && !all[i-1].Position.Less(all[i].Position) {
			t.Fatalf("positions not increasing: %s", describe(all))
		}
	}
	// Forwards from a position is inclusive; counts limit.
	got, err := s.ReadAll(ctxT(t), eventstore.ReadAllOptions{From: all[3].Position, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Position != all[3].Position || got[1].Position != all[4].Position {
		t.Fatalf("forwards from %v count 2: %s, want %s", all[3].Position, describe(got), describe(all[3:5]))
	}
	// Backwards from End starts at the newest event.
	got, err = s.ReadAll(ctxT(t), eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got = ofTest(n, got); len(got) != 3 || got[0].Position != all[6].Position || got[2].Position != all[4].Position {
		t.Fatalf("backwards from End count 3: %s, want %s reversed", describe(got), describe(all[4:]))
	}
	// Backwards from a position is exclusive.
	got, err = s.ReadAll(ctxT(t), eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: all[3].Position, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Position != all[2].Position || got[1].Position != all[1].Position {
		t.Fatalf("backwards from %v count 2: %s, want %s reversed", all[3].Position, describe(got), describe(all[1:3]))
	}
	// Paging forwards visits every event once, resuming after the last seen.
	var paged []eventstore.RecordedEvent
	from := before
	for range 20 {
		page, err := s.ReadAll(ctxT(t), eventstore.ReadAllOptions{From: from, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 0 && len(paged) > 0 && page[0].Position == paged[len(paged)-1].Position {
			page = page[1:] // From is inclusive
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		from = page[len(page)-1].Position
	}
	if paged = ofTest(n, paged); len(paged) != len(all) {
		t.Fatalf("paging found %s, want %s", describe(paged), describe(all))
	}
}
