package storetest

import (
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

func u64(v uint64) *uint64               { return &v }
func dur(v time.Duration) *time.Duration { return &v }

func testMetadata(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Meta")
	t.Run("zero until set", func(t *testing.T) {
		m, err := s.StreamMetadata(ctxT(t), n.stream("unset"))
		if err != nil {
			t.Fatal(err)
		}
		if m.MaxCount != nil || m.MaxAge != nil || m.TruncateBefore != nil {
			t.Fatalf("metadata of a fresh stream: %+v, want zero", m)
		}
	})
	t.Run("set and read back with expected revisions", func(t *testing.T) {
		stream := n.stream("roundtrip")
		want := eventstore.StreamMetadata{MaxCount: u64(7), MaxAge: dur(time.Hour)}
		if err := s.SetStreamMetadata(ctxT(t), stream, eventstore.NoStream, want); err != nil {
			t.Fatal(err)
		}
		m, err := s.StreamMetadata(ctxT(t), stream)
		if err != nil {
			t.Fatal(err)
		}
		if m.MaxCount == nil || *m.MaxCount != 7 || m.MaxAge == nil || *m.MaxAge != time.Hour || m.TruncateBefore != nil {
			t.Fatalf("read back %+v, want max count 7, max age 1h", m)
		}
		err = s.SetStreamMetadata(ctxT(t), stream, eventstore.NoStream, want)
		expectErr(t, "second metadata write expecting no stream", err, eventstore.ErrWrongExpectedVersion)
		if err := s.SetStreamMetadata(ctxT(t), stream, eventstore.Exact(0), eventstore.StreamMetadata{MaxCount: u64(3)}); err != nil {
			t.Fatalf("metadata write expecting revision 0: %v", err)
		}
		if m, _ := s.StreamMetadata(ctxT(t), stream); m.MaxCount == nil || *m.MaxCount != 3 || m.MaxAge != nil {
			t.Fatalf("metadata not replaced: %+v", m)
		}
	})
	t.Run("max count", func(t *testing.T) {
		stream := n.stream("maxcount")
		mustAppend(t, s, stream, eventstore.NoStream, events(typ, 0, 5)...)
		if err := s.SetStreamMetadata(ctxT(t), stream, eventstore.Any, eventstore.StreamMetadata{MaxCount: u64(2)}); err != nil {
			t.Fatal(err)
		}
		if got := readAllForward(t, s, stream); !equalRevs(got, 3, 4) {
			t.Fatalf("max count 2 shows %v, want [3 4]", revisions(got))
		}
		got := mustRead(t, s, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, FromEnd: true})
		if !equalRevs(got, 4, 3) {
			t.Fatalf("max count 2 backwards shows %v, want [4 3]", revisions(got))
		}
		mustAppend(t, s, stream, eventstore.Exact(4), event(typ, 5))
		if got := readAllForward(t, s, stream); !equalRevs(got, 4, 5) {
			t.Fatalf("max count 2 after another append shows %v, want [4 5]", revisions(got))
		}
		// Expected revisions still see the whole stream.
		_, err := s.Append(ctxT(t), stream, eventstore.Exact(1), event(typ, 6))
		expectWEV(t, "append at a hidden revision", err, eventstore.Exact(1), cur(5))
	})
	t.Run("truncate before", func(t *testing.T) {
		stream := n.stream("truncate")
		mustAppend(t, s, stream, eventstore.NoStream, events(typ, 0, 4)...)
		if err := s.SetStreamMetadata(ctxT(t), stream, eventstore.Any, eventstore.StreamMetadata{TruncateBefore: u64(3)}); err != nil {
			t.Fatal(err)
		}
		if got := readAllForward(t, s, stream); !equalRevs(got, 3) {
			t.Fatalf("truncate before 3 shows %v, want [3]", revisions(got))
		}
	})
	t.Run("max age", func(t *testing.T) {
		// KurrentDB counts max age in whole seconds.
		stream := n.stream("maxage")
		mustAppend(t, s, stream, eventstore.NoStream, event(typ, 0))
		time.Sleep(1500 * time.Millisecond)
		mustAppend(t, s, stream, eventstore.Exact(0), event(typ, 1))
		if err := s.SetStreamMetadata(ctxT(t), stream, eventstore.Any, eventstore.StreamMetadata{MaxAge: dur(time.Second)}); err != nil {
			t.Fatal(err)
		}
		if got := readAllForward(t, s, stream); !equalRevs(got, 1) {
			t.Fatalf("max age 1s shows %v, want only the fresh event [1]", revisions(got))
		}
	})
	t.Run("$all ignores stream metadata", func(t *testing.T) {
		all := allOf(t, s, n, eventstore.Start)
		count := 0
		for _, e := range all {
			if e.Stream == n.stream("maxcount") {
				count++
			}
		}
		if count != 6 {
			t.Fatalf("$all holds %d events of the max-count stream, want all 6", count)
		}
	})
	t.Run("bad metadata", func(t *testing.T) {
		err := s.SetStreamMetadata(ctxT(t), n.stream("bad"), eventstore.Any, eventstore.StreamMetadata{MaxCount: u64(0)})
		expectField(t, err, "MaxCount")
		err = s.SetStreamMetadata(ctxT(t), n.stream("bad"), eventstore.Any, eventstore.StreamMetadata{MaxAge: dur(-time.Second)})
		expectField(t, err, "MaxAge")
		if m, _ := s.StreamMetadata(ctxT(t), n.stream("bad")); m.MaxCount != nil || m.MaxAge != nil {
			t.Fatalf("refused metadata was written: %+v", m)
		}
	})
}
