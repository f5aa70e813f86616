package readmodel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections"
)

func baseOf(p projections.Projection) *base {
	switch p := p.(type) {
	case *Invoices:
		return &p.base
	case *Subscriptions:
		return &p.base
	case *Presets:
		return &p.base
	case *Cards:
		return &p.base
	}
	panic("unknown projection")
}

// resetForBulk resets every projection (entering bulk mode) with spills
// every spill changed records.
func resetForBulk(t *testing.T, ps []projections.Projection, spill int) {
	t.Helper()
	for _, p := range ps {
		if err := p.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		b := baseOf(p)
		if !b.bulk {
			t.Fatalf("%s: Reset did not enter bulk mode", p.Name())
		}
		b.bulkSpill = spill
	}
}

// shrinkCaches bounds every table's cache to n records.
func shrinkCaches(ps []projections.Projection, n int) {
	for _, p := range ps {
		switch p := p.(type) {
		case *Invoices:
			p.t.maxCached = n
		case *Subscriptions:
			p.t.maxCached = n
		case *Cards:
			p.t.maxCached = n
		case *Presets:
			p.presets.maxCached, p.products.maxCached = n, n
		}
	}
}

// rawDump is every key and value in the database but the checkpoints:
// a stale or missing index entry, which queries filter out, shows here.
func rawDump(t *testing.T, db *DB) []byte {
	t.Helper()
	it, err := db.pdb.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out bytes.Buffer
	for valid := it.First(); valid; valid = it.Next() {
		if bytes.HasPrefix(it.Key(), []byte("cp/")) {
			continue
		}
		fmt.Fprintf(&out, "%q = %q\n", it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestBulkRebuildEqualsIncremental rebuilds through bulk mode with
// spills after every few changed records (so records and their index
// entries are rewritten across ingested tables) and compares with the
// incremental path, with the flush of a spill split across goroutines
// at every size and at none.
func TestBulkRebuildEqualsIncremental(t *testing.T) {
	events, want, wantIx := incrementalScenario(t)

	defer func(n int) { parallelFlush = n }(parallelFlush)
	for i, spill := range []int{1, 2, 5, defaultBulkSpill, 1, 5, defaultBulkSpill, 1, 3} {
		parallelFlush = 1
		if i >= 4 {
			parallelFlush = 1 << 30
		}
		db := openDB(t, t.TempDir())
		ps := Projections(db)
		resetForBulk(t, ps, spill)
		if i >= 7 {
			// Caches of one record: records dropped at a spill are read
			// back while it is in flight, from its buffer or the database.
			shrinkCaches(ps, 1)
		}
		applyAll(t, ps, events, 3, 1, 4)
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("spill %d: bulk rebuild differs from incremental:\n%s", spill, got)
		}
		if got := rawDump(t, db); !bytes.Equal(got, wantIx) {
			t.Fatalf("spill %d: indexes differ:\n%s\nwant\n%s", spill, got, wantIx)
		}
		for _, p := range ps {
			if baseOf(p).bulk {
				t.Fatalf("%s: still in bulk mode after Sync", p.Name())
			}
			if cp, ok, err := p.Checkpoint(context.Background()); err != nil || !ok || cp != events[len(events)-1].Position {
				t.Fatalf("%s: checkpoint %v %v %v", p.Name(), cp, ok, err)
			}
		}
		db.Close()
	}
}

// TestBulkRebuildAfterReset rebuilds into a database that holds a
// previous state: Reset must clear it before the ingested tables land.
func TestBulkRebuildAfterReset(t *testing.T) {
	events := record(t, scenario())
	db := openDB(t, t.TempDir())
	defer db.Close()
	ps := Projections(db)
	applyAll(t, ps, events, 2)
	want, wantIx := dump(t, db), rawDump(t, db)
	resetForBulk(t, ps, 3)
	applyAll(t, ps, events, 5)
	if got := dump(t, db); !bytes.Equal(got, want) {
		t.Fatalf("rebuild over old state differs:\n%s", got)
	}
	if got := rawDump(t, db); !bytes.Equal(got, wantIx) {
		t.Fatalf("indexes differ:\n%s", got)
	}
}

// TestBulkRebuildCrash makes a bulk spill durable without its checkpoint
// (what a crash between the two would leave if they were not one
// ingested table), reopens the database as a restarted process would,
// resumes from the stored checkpoint incrementally and compares with a
// clean run.
func TestBulkRebuildCrash(t *testing.T) {
	ctx := context.Background()
	events := record(t, scenario())
	clean := openDB(t, t.TempDir())
	defer clean.Close()
	applyAll(t, Projections(clean), events)
	want, wantIx := dump(t, clean), rawDump(t, clean)

	for _, crashAt := range []int{5, 31, 50} {
		dir := t.TempDir()
		db := openDB(t, dir)
		ps := Projections(db)
		resetForBulk(t, ps, 2)
		for i := 0; i < crashAt; i += 4 {
			for _, p := range ps {
				if err := p.Apply(ctx, events[i:min(i+4, crashAt)]); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, p := range ps {
			setCrash(p, true)
			err := p.Apply(ctx, events[crashAt:crashAt+8])
			if err == nil {
				err = p.(projections.Syncer).Sync(ctx) // spills what is left
			}
			if !errors.Is(err, errInjectedCrash) {
				t.Fatalf("%s: err = %v, want the injected crash", p.Name(), err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		db = openDB(t, dir)
		ps = Projections(db)
		for _, p := range ps {
			cp, ok, err := p.Checkpoint(ctx)
			if err != nil || (ok && events[crashAt-1].Position.Less(cp)) {
				t.Fatalf("%s: checkpoint %v %v %v, past the last batch before the crash", p.Name(), cp, ok, err)
			}
			applyAll(t, []projections.Projection{p}, after(events, cp, ok), 6)
		}
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("crash at %d: resumed state differs from a clean run:\n%s", crashAt, got)
		}
		if got := rawDump(t, db); !bytes.Equal(got, wantIx) {
			t.Fatalf("crash at %d: indexes differ:\n%s", crashAt, got)
		}
		db.Close()
	}
}

// after returns the events after checkpoint cp (all of them without one).
func after(events []eventstore.RecordedEvent, cp eventstore.Position, ok bool) []eventstore.RecordedEvent {
	if !ok {
		return events
	}
	for i, e := range events {
		if cp.Less(e.Position) {
			return events[i:]
		}
	}
	return nil
}

// incrementalScenario records the scenario's events and applies them one
// at a time to a fresh database: the events, and the read models and
// stored keys the bulk paths must reproduce.
func incrementalScenario(t *testing.T) (events []eventstore.RecordedEvent, want, wantIx []byte) {
	t.Helper()
	events = record(t, scenario())
	inc := openDB(t, t.TempDir())
	defer inc.Close()
	applyAll(t, Projections(inc), events, 1)
	return events, dump(t, inc), rawDump(t, inc)
}
