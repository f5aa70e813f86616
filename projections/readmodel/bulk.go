package readmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/recoupledger/recoup/eventstore"
)

// A rebuild from zero (Apply after Reset) runs in bulk mode: the records
// are built in the tables' caches across many of the Runner's batches
// and written out only when defaultBulkSpill records have changed, or
// the projections of the database together hold defaultBulkBudget
// changed records, or at Sync, as sorted sstables that Pebble ingests together in one atomic
// step: per table one of its records and one of its index changes, and
// one holding the checkpoint. A record is then written about once
// instead of once per batch that touched it, and the writes skip the
// memtable and its flushes. Invariants:
//
//   - The checkpoint is ingested in the same step as the writes it
//     covers: a crash leaves the database at the end of the last ingested
//     step, and the projection resumes from its checkpoint
//     (incrementally) into the same state as a clean run.
//   - The tables of one step never overlap each other, nor those of
//     another projection (kinds and checkpoints have disjoint key
//     ranges): a rebuild's first step lands in the bottom level, and
//     later ones overlap only the earlier steps of the same projection,
//     which bounds the compactions a rebuild causes by its number of
//     spills.
//   - Memory is bounded by the spill size, not by the history: after a
//     spill the caches shrink as after any commit, and records needed
//     again are read back (the Bloom filter of absent spares the reads of
//     records that were never written). Until a spill lands, a record
//     it holds is read back from its buffer (table.load), so a cache
//     miss never waits for a spill in flight; once it lands, its buffer
//     is freed.
//   - Bulk mode ends at the first Sync (the Runner syncs at the head of
//     $all): live batches are small and go through ordinary commits.

// bulkDir is the directory, inside the database's, where bulk rebuilds
// write their tables before Pebble ingests them.
const bulkDir = "bulk"

// defaultBulkSpill is how many changed records a projection keeps in
// memory in bulk mode before writing them out, and defaultBulkBudget how
// many the projections of a database keep together: when they reach it,
// the one applying spills if it holds at least its share (the largest
// always does). Both are bounded by memory: besides the changed records,
// a rebuild holds the records its caches keep after a spill and the
// encoded records of the spill in flight, and must stay under 1 GiB
// resident on a ledger of 10,000,000 events (projections/memory_test.go).
// The larger the spills, the fewer the tables Pebble ingests on top of
// each other and compacts: a rebuild of 1,000,000 events spills its
// invoices two or three times, into the bottom level and L0, which Pebble
// compacts once, after the last, where spills of 32,768 records every
// few seconds kept it compacting for a fifth of the rebuild's CPU.
const (
	defaultBulkSpill  = 1 << 17
	defaultBulkBudget = 1 << 17
)

// dirtyRecords counts the records changed since the last write.
func (b *base) dirtyRecords() int {
	n := 0
	for _, t := range b.tables {
		n += t.pending()
	}
	return n
}

// count records that the projection holds n changed records, in the
// database's count of them over its projections in bulk mode.
func (b *base) count(n int) {
	if n != b.counted {
		b.db.bulkDirty.Add(int64(n - b.counted))
		b.counted = n
	}
}

// overBudget reports whether the projections in bulk mode hold the
// database's budget of changed records and this one, holding n, holds
// at least an even share of them.
func (b *base) overBudget(n int) bool {
	total := b.db.bulkDirty.Load()
	return total >= int64(b.db.bulkBudget) && int64(n)*b.db.bulkActive.Load() >= total
}

// applyBulk handles events into the caches and spills when enough
// records have changed.
func (b *base) applyBulk(ctx context.Context, events []eventstore.RecordedEvent, handle func(*eventstore.RecordedEvent) error) error {
	for i := range events {
		if err := handle(&events[i]); err != nil {
			b.discard()
			return err
		}
	}
	b.last, b.unsaved = events[len(events)-1].Position, true
	n := b.dirtyRecords()
	b.count(n)
	if n < b.bulkSpill && !b.overBudget(n) {
		return ctx.Err()
	}
	return b.spill()
}

// spillBuf is one bulk write: per table its records and its index
// changes, and the checkpoint, each to become a table of its own.
type spillBuf struct {
	parts []ops // per table: records, index entries
	cp    ops
}

// spill writes every changed record and the checkpoint as sstables and
// has Pebble ingest them together, in the background like commit.
func (b *base) spill() error {
	if err := b.wait(); err != nil {
		return err
	}
	// Two buffers: the previous spill, done after wait, used the other.
	w := &b.spills[b.nextSpill]
	b.nextSpill ^= 1
	if len(w.parts) != 2*len(b.tables) {
		w.parts = make([]ops, 2*len(b.tables))
	}
	for i, t := range b.tables {
		rec, ix := &w.parts[2*i], &w.parts[2*i+1]
		rec.reset()
		ix.reset()
		rec.list = slices.Grow(rec.list, t.pending())
		ix.list = slices.Grow(ix.list, t.pending()*(2*maxIndexes)/3)
		if err := t.flush(rec, ix); err != nil {
			b.discard()
			return fmt.Errorf("readmodel %s: write: %w", b.name, err)
		}
	}
	w.cp.reset()
	if !b.crashAfterWrite {
		w.cp.set(checkpointKey(b.name), checkpointValue(b.last))
	}
	b.unsaved = false
	if b.crashAfterWrite {
		err := b.db.ingest(w, b.name)
		b.discard()
		if err != nil {
			return err
		}
		return errInjectedCrash
	}
	ch := make(chan error, 1)
	b.db.inflight.Add(1)
	go func() {
		defer b.db.inflight.Done()
		ch <- b.db.ingest(w, b.name)
	}()
	b.pending, b.inSpill = ch, w
	for i, t := range b.tables {
		t.spilling(&w.parts[2*i])
		t.committed()
	}
	b.count(0)
	return nil
}

// release frees the memory of a spill that landed: spills are large and
// far apart, and two buffers kept for each projection would hold as
// much memory as the records a rebuild keeps.
func (w *spillBuf) release() {
	for i := range w.parts {
		w.parts[i].release()
	}
	w.cp.release()
}

// endBulk writes what bulk mode still holds and returns to ordinary
// commits.
func (b *base) endBulk() error {
	if b.unsaved {
		if err := b.spill(); err != nil {
			return err
		}
	}
	if err := b.wait(); err != nil {
		return err
	}
	b.bulk = false
	b.db.bulkActive.Add(-1)
	return nil
}

// ingest writes each non-empty part of w, sorted, into an sstable of
// its own (concurrently: sorting and encoding them is most of a spill's
// work) and has Pebble ingest them in one atomic step. The parts never
// overlap each other: a table owns a kind, and a kind's records and
// index entries lie under <kind>/r/ and <kind>/i/, the checkpoints under
// cp/. So a rebuild's first tables overlap nothing in the database and
// go straight to the bottom level, and later ones overlap only the
// earlier ones of the same part.
func (d *DB) ingest(w *spillBuf, name string) (err error) {
	dir := filepath.Join(d.dir, bulkDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("readmodel %s: %w", name, err)
	}
	parts := make([]*ops, 0, len(w.parts)+1)
	for i := range w.parts {
		if len(w.parts[i].list) > 0 {
			parts = append(parts, &w.parts[i])
		}
	}
	if len(w.cp.list) > 0 {
		parts = append(parts, &w.cp)
	}
	if len(parts) == 0 {
		return nil
	}
	paths := make([]string, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		paths[i] = filepath.Join(dir, fmt.Sprintf("%s-%06d.sst", name, d.tables.Add(1)))
		wg.Go(func() {
			if err := d.writeTable(paths[i], p); err != nil {
				errs[i] = fmt.Errorf("readmodel %s: write %s: %w", name, paths[i], err)
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, path := range paths {
			if rerr := os.Remove(path); err == nil && rerr != nil && !os.IsNotExist(rerr) {
				err = fmt.Errorf("readmodel %s: %w", name, rerr)
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := d.pdb.Ingest(context.Background(), paths); err != nil {
		return fmt.Errorf("readmodel %s: ingest: %w", name, err)
	}
	return nil
}

func (d *DB) writeTable(path string, w *ops) error {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	tw := sstable.NewWriter(objstorageprovider.NewFileWritable(f), d.opts.MakeWriterOptions(0, d.pdb.TableFormat()))
	err = w.each(func(key, val []byte, del bool) error {
		if del {
			return tw.Delete(key)
		}
		return tw.Set(key, val)
	})
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	return err
}
