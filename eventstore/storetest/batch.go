package storetest

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// testAppendBatch covers eventstore.BatchAppender for stores that have it
// (skipped otherwise), and eventstore.AppendAll's one-by-one fallback for
// stores that do not.
func testAppendBatch(t *testing.T, newStore NewStore) {
	s := newStore(t)
	b, ok := s.(eventstore.BatchAppender)
	if !ok {
		t.Run("AppendAllFallback", func(t *testing.T) { testAppendAllFallback(t, s) })
		t.Skip("the store does not implement eventstore.BatchAppender")
	}
	t.Run("OrderInAll", func(t *testing.T) { testBatchOrder(t, s, b) })
	t.Run("AllOrNothing", func(t *testing.T) { testBatchAllOrNothing(t, s, b) })
	t.Run("Idempotent", func(t *testing.T) { testBatchIdempotent(t, s, b) })
	t.Run("BadInput", func(t *testing.T) { testBatchBadInput(t, s, b) })
	t.Run("AppendAllUsesBatch", func(t *testing.T) {
		n := newNames()
		before := lastPosition(t, s)
		_, err := eventstore.AppendAll(ctxT(t), s, []eventstore.AppendRequest{
			{Stream: n.stream("a"), Expected: eventstore.NoStream, Events: events(n.typ("E"), 0, 1)},
			{Stream: n.stream("b"), Expected: eventstore.Exact(3), Events: events(n.typ("E"), 1, 1)},
		})
		expectBatchErr(t, err, 1, n.stream("b"))
		if got := allOf(t, s, n, before); len(got) != 0 {
			t.Fatalf("AppendAll on a batch store wrote %s although a request failed", describe(got))
		}
	})
}

// expectBatchErr checks err is a *BatchError naming request index and stream.
func expectBatchErr(t *testing.T, err error, index int, stream string) *eventstore.BatchError {
	t.Helper()
	var be *eventstore.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("got error %v, want a *BatchError", err)
	}
	if be.Index != index || be.Stream != stream {
		t.Fatalf("batch error names requests[%d] %s, want requests[%d] %s", be.Index, be.Stream, index, stream)
	}
	return be
}

func testBatchOrder(t *testing.T, s eventstore.Store, b eventstore.BatchAppender) {
	n := newNames()
	typ := n.typ("Ordered")
	a, c := n.stream("a"), n.stream("c")
	mustAppend(t, s, c, eventstore.NoStream, event(typ, 100))
	before := lastPosition(t, s)
	reqs := []eventstore.AppendRequest{
		{Stream: a, Expected: eventstore.NoStream, Events: events(typ, 0, 2)},
		{Stream: n.stream("b"), Expected: eventstore.Any, Events: events(typ, 2, 1)},
		{Stream: a, Expected: eventstore.Exact(1), Events: events(typ, 3, 1)}, // sees the first request's head
		{Stream: c, Expected: eventstore.StreamExists, Events: events(typ, 4, 2)},
	}
	res, err := b.AppendBatch(ctxT(t), reqs)
	if err != nil {
		t.Fatalf("append batch: %v", err)
	}
	got := allOf(t, s, n, before)
	if len(got) > 0 && got[0].Position == before {
		got = got[1:]
	}
	want := []struct {
		stream string
		rev    uint64
	}{{a, 0}, {a, 1}, {n.stream("b"), 0}, {a, 2}, {c, 1}, {c, 2}}
	if len(got) != len(want) {
		t.Fatalf("$all after the batch: %s, want %d events", describe(got), len(want))
	}
	for i, w := range want {
		if got[i].Stream != w.stream || got[i].Revision != w.rev || string(got[i].Data) != string(event(typ, i).Data) {
			t.Fatalf("$all after the batch: %s; event %d should be %s@%d with body %d", describe(got), i, w.stream, w.rev, i)
		}
		if i > 0 && !got[i-1].Position.Less(got[i].Position) {
			t.Fatalf("$all positions do not increase: %s", describe(got))
		}
	}
	if len(res) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(res), len(reqs))
	}
	for i, last := range []int{1, 2, 3, 5} {
		if res[i].NextExpectedRevision != got[last].Revision || res[i].Position != got[last].Position {
			t.Fatalf("result %d is %+v, want revision %d at %+v", i, res[i], got[last].Revision, got[last].Position)
		}
	}
	empty, err := b.AppendBatch(ctxT(t), nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty batch: %v, %v; want no results and no error", empty, err)
	}
}

func testBatchAllOrNothing(t *testing.T, s eventstore.Store, b eventstore.BatchAppender) {
	n := newNames()
	typ := n.typ("Atomic")
	x, y, z := n.stream("x"), n.stream("y"), n.stream("z")
	mustAppend(t, s, y, eventstore.NoStream, event(typ, 0))
	tomb := n.stream("tomb")
	mustAppend(t, s, tomb, eventstore.NoStream, event(typ, 0))
	if err := s.Tombstone(ctxT(t), tomb, eventstore.Any); err != nil {
		t.Fatal(err)
	}
	before := lastPosition(t, s)
	cases := []struct {
		name string
		reqs []eventstore.AppendRequest
		bad  int
		want error
	}{
		{"wrong expected revision in the middle", []eventstore.AppendRequest{
			{Stream: x, Expected: eventstore.NoStream, Events: events(typ, 1, 2)},
			{Stream: y, Expected: eventstore.Exact(5), Events: events(typ, 3, 1)},
			{Stream: z, Expected: eventstore.Any, Events: events(typ, 4, 1)},
		}, 1, eventstore.ErrWrongExpectedVersion},
		{"wrong expected revision last, same stream as a passing request", []eventstore.AppendRequest{
			{Stream: y, Expected: eventstore.Exact(0), Events: events(typ, 5, 1)},
			{Stream: x, Expected: eventstore.NoStream, Events: events(typ, 6, 1)},
			{Stream: y, Expected: eventstore.Exact(0), Events: events(typ, 7, 1)}, // y is at 1 after requests[0]
		}, 2, eventstore.ErrWrongExpectedVersion},
		{"tombstoned stream", []eventstore.AppendRequest{
			{Stream: x, Expected: eventstore.Any, Events: events(typ, 8, 1)},
			{Stream: tomb, Expected: eventstore.Any, Events: events(typ, 9, 1)},
		}, 1, eventstore.ErrStreamDeleted},
	}
	for _, c := range cases {
		_, err := b.AppendBatch(ctxT(t), c.reqs)
		expectErr(t, c.name, err, c.want)
		expectBatchErr(t, err, c.bad, c.reqs[c.bad].Stream)
		if got := allOf(t, s, n, before); len(got) > 0 && (len(got) > 1 || got[0].Position != before) {
			t.Fatalf("%s: the refused batch wrote %s", c.name, describe(got))
		}
	}
	var w *eventstore.WrongExpectedVersionError
	_, err := b.AppendBatch(ctxT(t), cases[0].reqs)
	if !errors.As(err, &w) || w.Stream != y || w.Expected != eventstore.Exact(5) || w.Current != cur(0) {
		t.Fatalf("batch error %v does not carry the request's wrong-expected-version error", err)
	}
	// Nothing of the refused batches is remembered: the streams continue
	// from what is stored.
	res, err := b.AppendBatch(ctxT(t), []eventstore.AppendRequest{
		{Stream: x, Expected: eventstore.NoStream, Events: events(typ, 10, 1)},
		{Stream: y, Expected: eventstore.Exact(0), Events: events(typ, 11, 1)},
	})
	if err != nil {
		t.Fatalf("batch after refused ones: %v", err)
	}
	if res[0].NextExpectedRevision != 0 || res[1].NextExpectedRevision != 1 {
		t.Fatalf("batch after refused ones landed at %+v", res)
	}
	if !equalRevs(readAllForward(t, s, x), 0) || !equalRevs(readAllForward(t, s, y), 0, 1) {
		t.Fatalf("streams after refused batches: x %v, y %v", revisions(readAllForward(t, s, x)), revisions(readAllForward(t, s, y)))
	}
	if _, err := s.ReadStream(ctxT(t), z, eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("stream of a refused batch: %v, want not found", err)
	}
}

func testBatchIdempotent(t *testing.T, s eventstore.Store, b eventstore.BatchAppender) {
	n := newNames()
	typ := n.typ("Once")
	withIDs := func(from, k int) []eventstore.EventData {
		evs := events(typ, from, k)
		for i := range evs {
			evs[i].ID = uuid.NewSHA1(uuid.NameSpaceOID, []byte(n.prefix+string(rune('a'+from+i))))
		}
		return evs
	}
	reqs := []eventstore.AppendRequest{
		{Stream: n.stream("f"), Expected: eventstore.NoStream, Events: withIDs(0, 2)},
		{Stream: n.stream("g"), Expected: eventstore.NoStream, Events: withIDs(2, 1)},
		{Stream: n.stream("f"), Expected: eventstore.Exact(1), Events: withIDs(3, 1)},
	}
	first, err := b.AppendBatch(ctxT(t), reqs)
	if err != nil {
		t.Fatal(err)
	}
	head := lastPosition(t, s)
	again, err := b.AppendBatch(ctxT(t), reqs)
	if err != nil {
		t.Fatalf("re-sent batch: %v", err)
	}
	for i := range first {
		if again[i] != first[i] {
			t.Fatalf("re-sent batch: result %d is %+v, first time %+v", i, again[i], first[i])
		}
	}
	if got := lastPosition(t, s); got != head {
		t.Fatalf("re-sent batch wrote events: head moved from %+v to %+v", head, got)
	}
	// A batch repeating one request and adding a new one writes only the new.
	mixed := []eventstore.AppendRequest{reqs[1], {Stream: n.stream("h"), Expected: eventstore.NoStream, Events: withIDs(4, 1)}}
	res, err := b.AppendBatch(ctxT(t), mixed)
	if err != nil {
		t.Fatal(err)
	}
	if res[0] != first[1] {
		t.Fatalf("repeated request in a mixed batch: %+v, want the original %+v", res[0], first[1])
	}
	if got := allOf(t, s, n, head); len(got) != 2 || got[1].Stream != n.stream("h") {
		t.Fatalf("mixed batch wrote %s, want only the new event", describe(got))
	}
	if !equalRevs(readAllForward(t, s, n.stream("f")), 0, 1, 2) || !equalRevs(readAllForward(t, s, n.stream("g")), 0) {
		t.Fatal("a stream of the repeated batch holds duplicates")
	}
}

func testBatchBadInput(t *testing.T, s eventstore.Store, b eventstore.BatchAppender) {
	n := newNames()
	typ := n.typ("Bad")
	good := eventstore.AppendRequest{Stream: n.stream("good"), Expected: eventstore.Any, Events: events(typ, 0, 2)}
	bad := event(typ, 1)
	bad.Data = []byte("{not json")
	cases := []struct {
		name  string
		req   eventstore.AppendRequest
		field string
	}{
		{"invalid JSON", eventstore.AppendRequest{Stream: n.stream("bad"), Expected: eventstore.Any, Events: []eventstore.EventData{event(typ, 0), bad}}, "events[1].Data"},
		{"empty stream", eventstore.AppendRequest{Expected: eventstore.Any, Events: events(typ, 0, 1)}, "stream"},
		{"no events", eventstore.AppendRequest{Stream: n.stream("none"), Expected: eventstore.Any}, "events"},
		{"empty type", eventstore.AppendRequest{Stream: n.stream("t"), Expected: eventstore.Any, Events: []eventstore.EventData{{Data: []byte("{}")}}}, "events[0].Type"},
	}
	before := lastPosition(t, s)
	for _, c := range cases {
		_, err := b.AppendBatch(ctxT(t), []eventstore.AppendRequest{good, c.req})
		expectField(t, err, c.field)
		expectBatchErr(t, err, 1, c.req.Stream)
		// The same input refused by Append names the same field.
		_, aerr := s.Append(ctxT(t), c.req.Stream, c.req.Expected, c.req.Events...)
		expectField(t, aerr, c.field)
	}
	if got := allOf(t, s, n, before); len(got) > 0 && (len(got) > 1 || got[0].Position != before) {
		t.Fatalf("batches with bad input wrote %s", describe(got))
	}
}

// testAppendAllFallback checks AppendAll on a store without AppendBatch:
// requests go in order, and the failing one is named (those before it
// stay written: the fallback is not atomic).
func testAppendAllFallback(t *testing.T, s eventstore.Store) {
	n := newNames()
	typ := n.typ("Fallback")
	before := lastPosition(t, s)
	reqs := []eventstore.AppendRequest{
		{Stream: n.stream("a"), Expected: eventstore.NoStream, Events: events(typ, 0, 1)},
		{Stream: n.stream("b"), Expected: eventstore.NoStream, Events: events(typ, 1, 1)},
		{Stream: n.stream("a"), Expected: eventstore.Exact(0), Events: events(typ, 2, 1)},
	}
	res, err := eventstore.AppendAll(ctxT(t), s, reqs)
	if err != nil || len(res) != 3 || res[2].NextExpectedRevision != 1 {
		t.Fatalf("AppendAll: %+v, %v", res, err)
	}
	got := allOf(t, s, n, before)
	if len(got) > 0 && got[0].Position == before {
		got = got[1:]
	}
	if len(got) != 3 || got[0].Stream != reqs[0].Stream || got[1].Stream != reqs[1].Stream || got[2].Stream != reqs[2].Stream {
		t.Fatalf("AppendAll wrote %s, want request order", describe(got))
	}
	_, err = eventstore.AppendAll(ctxT(t), s, []eventstore.AppendRequest{
		{Stream: n.stream("c"), Expected: eventstore.Any, Events: events(typ, 3, 1)},
		{Stream: n.stream("a"), Expected: eventstore.NoStream, Events: events(typ, 4, 1)},
	})
	expectErr(t, "AppendAll with a wrong expected revision", err, eventstore.ErrWrongExpectedVersion)
	expectBatchErr(t, err, 1, n.stream("a"))
	// Bad input is checked for every request before the first is sent.
	_, err = eventstore.AppendAll(ctxT(t), s, []eventstore.AppendRequest{
		{Stream: n.stream("d"), Expected: eventstore.Any, Events: events(typ, 5, 1)},
		{Stream: n.stream("e"), Expected: eventstore.Any},
	})
	expectField(t, err, "events")
	if _, err := s.ReadStream(ctxT(t), n.stream("d"), eventstore.ReadStreamOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("AppendAll with bad input wrote its first request: %v", err)
	}
}
