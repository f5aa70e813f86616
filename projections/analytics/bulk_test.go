package analytics

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

// TestBulkRebuildEqualsIncremental rebuilds through bulk transactions
// spanning several batches, committed every few events or only at Sync.
func TestBulkRebuildEqualsIncremental(t *testing.T) {
	ctx := context.Background()
	events := record(t, fixture())
	want := cleanDump(t, events)
	for _, commit := range []int{1, 5, 11, defaultBulkCommit} {
		db := openDB(t, filepath.Join(t.TempDir(), "a.duckdb"))
		p := newProjection(t, db)
		if err := p.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if !p.bulk {
			t.Fatal("Reset did not enter bulk mode")
		}
		p.bulkCommit = commit
		project(t, p, events, 3)
		if got := tableDump(t, db); got != want {
			t.Fatalf("bulk commits every %d events differ:\n%s\nwant\n%s", commit, got, want)
		}
		if cp, ok, err := p.Checkpoint(ctx); err != nil || !ok || cp != events[len(events)-1].Position {
			t.Fatalf("checkpoint %v %v %v", cp, ok, err)
		}
		if p.bulk || p.inTx {
			t.Fatal("bulk transaction still open after Sync")
		}
		p.Close()
		db.Close()
	}
}

// TestBulkRebuildCrash commits a bulk transaction's rows without its
// checkpoint, reopens as a restarted process would and resumes from the
// stored checkpoint; a bulk transaction never committed (the process
// ended) is lost whole.
func TestBulkRebuildCrash(t *testing.T) {
	ctx := context.Background()
	events := record(t, fixture())
	want := cleanDump(t, events)
	for _, crashAt := range []int{4, 12, 20} {
		for _, commitCrash := range []bool{true, false} {
			path := filepath.Join(t.TempDir(), "a.duckdb")
			db := openDB(t, path)
			p := newProjection(t, db)
			if err := p.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			p.bulkCommit = 5
			for i := 0; i < crashAt; i += 2 {
				if err := p.Apply(ctx, events[i:min(i+2, crashAt)]); err != nil {
					t.Fatal(err)
				}
			}
			if commitCrash {
				p.crashAfterWrite = true
				err := p.Apply(ctx, events[crashAt:crashAt+6]) // reaches bulkCommit
				if !errors.Is(err, errInjectedCrash) {
					t.Fatalf("err = %v, want the injected crash", err)
				}
			} else if err := p.Apply(ctx, events[crashAt:crashAt+1]); err != nil {
				t.Fatal(err)
			}
			p.Close() // an open transaction dies with the process
			db.Close()

			db = openDB(t, path)
			p = newProjection(t, db)
			// The last Apply that returned nil may have committed.
			lastOK := events[crashAt-1].Position
			if !commitCrash {
				lastOK = events[crashAt].Position
			}
			cp, ok, err := p.Checkpoint(ctx)
			if err != nil || (ok && lastOK.Less(cp)) {
				t.Fatalf("checkpoint %v %v %v, past the batches before the crash", cp, ok, err)
			}
			project(t, p, after(events, cp, ok), 5)
			if got := tableDump(t, db); got != want {
				t.Fatalf("crash at %d (commit %v): resumed state differs from a clean run:\n%s\nwant\n%s", crashAt, commitCrash, got, want)
			}
			p.Close()
			db.Close()
		}
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
