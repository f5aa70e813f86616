package pebble

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// TestBatchWritesInKeyOrderSurviveReopen: a multi-stream append's writes
// go to Pebble sorted by key (sortedWrites). A stream written by two parts
// of one batch has its head written twice; the later head must be the one
// stored, and every event, run and index entry must be found after a
// reopen, when nothing is served from the appender's caches.
func TestBatchWritesInKeyOrderSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ids := make([]uuid.UUID, 6)
	ev := func(i int) eventstore.EventData {
		ids[i] = uuid.NewSHA1(uuid.NameSpaceURL, []byte{byte(i)})
		e := jsonEvent(i)
		e.ID = ids[i]
		return e
	}
	reqs := []eventstore.AppendRequest{
		{Stream: "zeta", Expected: eventstore.NoStream, Events: []eventstore.EventData{ev(0), ev(1)}},
		{Stream: "alpha", Expected: eventstore.NoStream, Events: []eventstore.EventData{ev(2)}},
		{Stream: "zeta", Expected: eventstore.Exact(1), Events: []eventstore.EventData{ev(3)}},
		{Stream: "mid", Expected: eventstore.NoStream, Events: []eventstore.EventData{ev(4), ev(5)}},
	}
	if _, err := s.AppendBatch(ctx, reqs); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for stream, n := range map[string]int{"zeta": 3, "alpha": 1, "mid": 2} {
		recs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
		if err != nil || len(recs) != n {
			t.Fatalf("%s after reopen: %d events, %v; want %d", stream, len(recs), err, n)
		}
	}
	// The head holds the second part's revision: zeta continues at 3.
	if res, err := s.Append(ctx, "zeta", eventstore.Exact(2), jsonEvent(6)); err != nil || res.NextExpectedRevision != 3 {
		t.Fatalf("zeta after reopen: %+v, %v; want revision 3", res, err)
	}
	// The index holds every ID: the batch again writes nothing.
	again, err := s.AppendBatch(ctx, reqs[1:2])
	if err != nil || again[0].NextExpectedRevision != 0 {
		t.Fatalf("repeat of alpha after reopen: %+v, %v", again, err)
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil || len(all) != 7 {
		t.Fatalf("$all after reopen: %d events, %v; want 7", len(all), err)
	}
	for i, want := range []string{"zeta", "zeta", "alpha", "zeta", "mid", "mid", "zeta"} {
		if all[i].Stream != want {
			t.Fatalf("$all[%d] is %s, want %s (request order)", i, all[i].Stream, want)
		}
	}
}
