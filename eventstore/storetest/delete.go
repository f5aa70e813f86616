package storetest

import (
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

func testSoftDelete(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Soft")
	stream := n.stream("soft")
	mustAppend(t, s, stream, eventstore.NoStream, events(typ, 0, 3)...)
	err := s.Delete(ctxT(t), stream, eventstore.Exact(1))
	expectWEV(t, "delete at a stale revision", err, eventstore.Exact(1), cur(2))
	if err := s.Delete(ctxT(t), stream, eventstore.Exact(2)); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = s.ReadStream(ctxT(t), stream, eventstore.ReadStreamOptions{})
	expectErr(t, "read after soft delete", err, eventstore.ErrStreamNotFound)
	_, err = s.ReadStream(ctxT(t), stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, FromEnd: true})
	expectErr(t, "backwards read after soft delete", err, eventstore.ErrStreamNotFound)
	_, err = s.Append(ctxT(t), stream, eventstore.StreamExists, event(typ, 9))
	expectErr(t, "StreamExists after soft delete", err, eventstore.ErrWrongExpectedVersion)
	// A later append recreates the stream, continuing the revisions.
	res := mustAppend(t, s, stream, eventstore.NoStream, events(typ, 3, 2)...)
	if res.NextExpectedRevision != 4 {
		t.Fatalf("recreated stream's next expected revision %d, want 4", res.NextExpectedRevision)
	}
	if got := readAllForward(t, s, stream); !equalRevs(got, 3, 4) {
		t.Fatalf("recreated stream shows %v, want [3 4]", revisions(got))
	}
	mustAppend(t, s, stream, eventstore.Exact(4), event(typ, 5))
	if got := readAllForward(t, s, stream); !equalRevs(got, 3, 4, 5) {
		t.Fatalf("recreated stream shows %v, want [3 4 5]", revisions(got))
	}
}

func testTombstone(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Hard")
	stream := n.stream("hard")
	mustAppend(t, s, stream, eventstore.NoStream, events(typ, 0, 2)...)
	err := s.Tombstone(ctxT(t), stream, eventstore.Exact(0))
	expectWEV(t, "tombstone at a stale revision", err, eventstore.Exact(0), cur(1))
	if err := s.Tombstone(ctxT(t), stream, eventstore.Exact(1)); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	_, err = s.ReadStream(ctxT(t), stream, eventstore.ReadStreamOptions{})
	expectErr(t, "read after tombstone", err, eventstore.ErrStreamDeleted)
	for _, exp := range []eventstore.ExpectedRevision{eventstore.Any, eventstore.NoStream, eventstore.StreamExists, eventstore.Exact(1)} {
		_, err = s.Append(ctxT(t), stream, exp, event(typ, 2))
		expectErr(t, "append after tombstone expecting "+exp.String(), err, eventstore.ErrStreamDeleted)
	}
	expectErr(t, "soft delete after tombstone", s.Delete(ctxT(t), stream, eventstore.Any), eventstore.ErrStreamDeleted)
	expectErr(t, "second tombstone", s.Tombstone(ctxT(t), stream, eventstore.Any), eventstore.ErrStreamDeleted)
	// Other streams are unaffected, including one whose name extends it.
	mustAppend(t, s, stream+"-2", eventstore.NoStream, event(typ, 3))
	if got := readAllForward(t, s, stream+"-2"); len(got) != 1 {
		t.Fatalf("neighbour stream has %d events, want 1", len(got))
	}
}
