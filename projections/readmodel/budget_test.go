package readmodel

import (
	"bytes"
	"testing"
)

// TestBulkBudget rebuilds through bulk mode with a database-wide budget
// of a few changed records (and no per-projection limit that would
// spill first): the projections spill as they reach it, the result
// equals the incremental path's, and once bulk mode ends the database
// counts no changed records and no projection in bulk mode.
func TestBulkBudget(t *testing.T) {
	events, want, wantIx := incrementalScenario(t)

	tables := map[int]uint64{}
	for _, budget := range []int{defaultBulkBudget, 1, 4} {
		db := openDB(t, t.TempDir())
		db.bulkBudget = budget
		ps := Projections(db)
		resetForBulk(t, ps, defaultBulkSpill)
		if got := db.bulkActive.Load(); got != int64(len(ps)) {
			t.Fatalf("budget %d: %d projections counted in bulk mode, want %d", budget, got, len(ps))
		}
		applyAll(t, ps, events, 2, 5)
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("budget %d: bulk rebuild differs from incremental:\n%s", budget, got)
		}
		if got := rawDump(t, db); !bytes.Equal(got, wantIx) {
			t.Fatalf("budget %d: stored keys differ from incremental:\n%s", budget, got)
		}
		if d, a := db.bulkDirty.Load(), db.bulkActive.Load(); d != 0 || a != 0 {
			t.Fatalf("budget %d: after Sync %d changed records counted, %d projections in bulk mode", budget, d, a)
		}
		tables[budget] = db.tables.Load()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if tables[1] <= tables[defaultBulkBudget] || tables[4] <= tables[defaultBulkBudget] {
		t.Fatalf("tables written: %v; a small budget should spill more often than the default", tables)
	}
}
