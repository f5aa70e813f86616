package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

func testExpectedRevision(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Happened")
	type step struct {
		name    string
		exp     eventstore.ExpectedRevision
		ok      bool
		wantRev uint64                     // on success
		cur     eventstore.CurrentRevision // on failure
	}
	// One stream walked through every condition in order.
	steps := []step{
		{"StreamExists on a new stream", eventstore.StreamExists, false, 0, noStream},
		{"Exact(0) on a new stream", eventstore.Exact(0), false, 0, noStream},
		{"NoStream on a new stream", eventstore.NoStream, true, 0, noStream},
		{"NoStream on an existing stream", eventstore.NoStream, false, 0, cur(0)},
		{"Exact(0) at revision 0", eventstore.Exact(0), true, 1, noStream},
		{"Exact(0) at revision 1", eventstore.Exact(0), false, 0, cur(1)},
		{"Exact(5) at revision 1", eventstore.Exact(5), false, 0, cur(1)},
		{"StreamExists at revision 1", eventstore.StreamExists, true, 2, noStream},
		{"Any at revision 2", eventstore.Any, true, 3, noStream},
		{"Exact(3) at revision 3", eventstore.Exact(3), true, 4, noStream},
	}
	stream := n.stream("exp")
	for i, st := range steps {
		res, err := s.Append(ctxT(t), stream, st.exp, event(typ, i))
		if !st.ok {
			expectWEV(t, st.name, err, st.exp, st.cur)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.NextExpectedRevision != st.wantRev {
			t.Fatalf("%s: next expected revision %d, want %d", st.name, res.NextExpectedRevision, st.wantRev)
		}
	}
	got := readAllForward(t, s, stream)
	if !equalRevs(got, seq(0, 4)...) {
		t.Fatalf("stream holds %v, want revisions 0..4 (failed appends must write nothing)", revisions(got))
	}
	// Any on a new stream creates it.
	if res := mustAppend(t, s, n.stream("any"), eventstore.Any, event(typ, 0)); res.NextExpectedRevision != 0 {
		t.Fatalf("Any on a new stream: revision %d, want 0", res.NextExpectedRevision)
	}
}

func testAtomicAppend(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Batch")
	stream := n.stream("atomic")
	before := lastPosition(t, s)
	res := mustAppend(t, s, stream, eventstore.NoStream, events(typ, 0, 5)...)
	got := readAllForward(t, s, stream)
	if !equalRevs(got, seq(0, 4)...) {
		t.Fatalf("revisions %v, want 0..4", revisions(got))
	}
	if res.NextExpectedRevision != 4 || res.Position != got[4].Position {
		t.Fatalf("result %+v, want revision 4 at the last event's position %+v", res, got[4].Position)
	}
	for i := 1; i < len(got); i++ {
		if !got[i-1].Position.Less(got[i].Position) {
			t.Fatalf("positions not increasing: %s", describe(got))
		}
	}
	all := allOf(t, s, n, before)
	if len(all) != 5 {
		t.Fatalf("$all holds %d of the test's events, want 5: %s", len(all), describe(all))
	}
	// A multi-event append that fails its check writes none of its events.
	_, err := s.Append(ctxT(t), stream, eventstore.Exact(2), events(typ, 5, 3)...)
	expectWEV(t, "stale multi-event append", err, eventstore.Exact(2), cur(4))
	if got := readAllForward(t, s, stream); len(got) != 5 {
		t.Fatalf("failed multi-event append left %d events, want 5", len(got))
	}
	// Appends to different streams interleave in $all in commit order.
	other := n.stream("other")
	r1 := mustAppend(t, s, other, eventstore.NoStream, event(typ, 10))
	r2 := mustAppend(t, s, stream, eventstore.Exact(4), event(typ, 11))
	if !res.Position.Less(r1.Position) || !r1.Position.Less(r2.Position) {
		t.Fatalf("positions of later appends do not increase: %+v %+v %+v", res.Position, r1.Position, r2.Position)
	}
}

func testEventIDs(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Identified")
	stream := n.stream("ids")
	a, b := event(typ, 0), event(typ, 1)
	a.ID = uuid.New()
	mustAppend(t, s, stream, eventstore.NoStream, a, b)
	got := readAllForward(t, s, stream)
	if got[0].ID != a.ID {
		t.Fatalf("caller ID %s stored as %s", a.ID, got[0].ID)
	}
	if got[1].ID == uuid.Nil || got[1].ID == a.ID {
		t.Fatalf("zero ID became %s, want a fresh non-zero ID", got[1].ID)
	}
	c := event(typ, 2)
	mustAppend(t, s, stream, eventstore.Any, c)
	if again := readAllForward(t, s, stream); again[2].ID == got[1].ID || again[2].ID == uuid.Nil {
		t.Fatalf("second zero-ID event got ID %s (first got %s)", again[2].ID, got[1].ID)
	}
}

func testIdempotentAppend(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Once")
	before := lastPosition(t, s)
	cases := []struct {
		name string
		exp  func(first eventstore.AppendResult) eventstore.ExpectedRevision
	}{
		{"same expected revision", func(eventstore.AppendResult) eventstore.ExpectedRevision { return eventstore.NoStream }},
		{"any", func(eventstore.AppendResult) eventstore.ExpectedRevision { return eventstore.Any }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := n.stream(uuid.NewString()[:8])
			evs := events(typ, 0, 3)
			for i := range evs {
				evs[i].ID = uuid.New()
			}
			first := mustAppend(t, s, stream, eventstore.NoStream, evs...)
			again := mustAppend(t, s, stream, c.exp(first), evs...)
			if again != first {
				t.Fatalf("repeated append returned %+v, want the original %+v", again, first)
			}
			got := readAllForward(t, s, stream)
			if len(got) != 3 {
				t.Fatalf("stream has %d events after a repeated append, want 3", len(got))
			}
			// The stream moves on; repeating the first append still writes nothing.
			mustAppend(t, s, stream, eventstore.Exact(2), event(typ, 3))
			if len(readAllForward(t, s, stream)) != 4 {
				t.Fatal("follow-up append missing")
			}
		})
	}
	all := allOf(t, s, n, before)
	seen := map[uuid.UUID]bool{}
	for _, e := range all {
		if seen[e.ID] {
			t.Fatalf("event %s appears twice in $all", e.ID)
		}
		seen[e.ID] = true
	}
	if len(all) != 8 {
		t.Fatalf("$all holds %d of the test's events, want 8", len(all))
	}
}

func testRecordedFields(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	stream := n.stream("fields")
	start := time.Now()
	in := []eventstore.EventData{
		{ID: uuid.New(), Type: n.typ("Json"), ContentType: eventstore.ContentTypeJSON, Data: []byte(`{"amount":1200,"currency":"eur"}`), Metadata: []byte(`{"schema":1}`)},
		{ID: uuid.New(), Type: n.typ("Default"), Data: []byte(`[1,2,3]`)},
		{ID: uuid.New(), Type: n.typ("Binary"), ContentType: eventstore.ContentTypeBinary, Data: []byte{0, 1, 2, 0xff}, Metadata: []byte{9}},
	}
	mustAppend(t, s, stream, eventstore.NoStream, in...)
	got := readAllForward(t, s, stream)
	wantCT := []string{eventstore.ContentTypeJSON, eventstore.ContentTypeJSON, eventstore.ContentTypeBinary}
	for i, e := range got {
		w := in[i]
		if e.ID != w.ID || e.Type != w.Type || e.Stream != stream || e.Revision != uint64(i) || e.ContentType != wantCT[i] ||
			!bytes.Equal(e.Data, w.Data) || !bytes.Equal(e.Metadata, w.Metadata) {
			t.Fatalf("event %d read back as %+v, want %+v with content type %s", i, e, w, wantCT[i])
		}
		if e.Created.Before(start.Add(-time.Minute)) || e.Created.After(time.Now().Add(time.Minute)) {
			t.Fatalf("event %d created %v, not near now (%v)", i, e.Created, start)
		}
	}
	// The caller's buffers are not shared with the store.
	in[0].Data[2] = 'X'
	if again := readAllForward(t, s, stream); again[0].Data[2] == 'X' {
		t.Fatal("store kept a reference to the caller's data")
	}
}
