package readmodel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/recoupledger/recoup/eventstore"
)

// A rebuild from zero (Apply after Reset) runs in bulk mode: the records
// are built in the tables' caches across many of the Runner's batches
// and written out only when defaultBulkSpill records have changed, or at
// Sync, as one sorted sstable per projection holding the records, their
// index changes and the checkpoint, which Pebble ingests atomically. A
// record is then written about once instead of once per batch that
// touched it, and the writes skip the memtable, its flushes and most
// compactions. Invariants:
//
//   - The checkpoint is in the same table as the writes it covers, and
//     one table is ingested atomically: a crash leaves the database at the
//     end of the last ingested table, and the projection resumes from its
//     checkpoint (incrementally) into the same state as a clean run.
//   - Memory is bounded by the spill size, not by the history: after a
//     spill the caches shrink as after any commit, and records needed
//     again are read back (the Bloom filter of absent spares the reads of
//     records that were never written).
//   - Bulk mode ends at the first Sync (the Runner syncs at the head of
//     $all): live batches are small and go through ordinary commits.

// bulkDir is the directory, inside the database's, where bulk rebuilds
// write their tables before Pebble ingests them.
const bulkDir = "bulk"

// defaultBulkSpill is how many changed records a projection keeps in
// memory in bulk mode before writing them out (some tens of MB).
const defaultBulkSpill = 1 << 15

// dirtyRecords counts the records changed since the last write.
func (b *base) dirtyRecords() int {
	n := 0
	for _, t := range b.tables {
		n += t.pending()
	}
	return n
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
	if b.dirtyRecords() < b.bulkSpill {
		return ctx.Err()
	}
	return b.spill()
}

// spill writes every changed record and the checkpoint as one sstable and
// has Pebble ingest it, in the background like commit.
func (b *base) spill() error {
	if err := b.wait(); err != nil {
		return err
	}
	// Two buffers: the previous spill, done after wait, used the other.
	w := &b.spills[b.nextSpill]
	b.nextSpill ^= 1
	w.reset()
	w.list = slices.Grow(w.list, b.dirtyRecords()*6) // a record and its index entries
	for _, t := range b.tables {
		if err := t.flush(w); err != nil {
			b.discard()
			return fmt.Errorf("readmodel %s: write: %w", b.name, err)
		}
	}
	if !b.crashAfterWrite {
		w.set(checkpointKey(b.name), checkpointValue(b.last))
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
	b.pending = ch
	for _, t := range b.tables {
		t.committed()
	}
	return nil
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
	return nil
}

// ingest writes w, sorted, into a new sstable and has Pebble ingest it.
func (d *DB) ingest(w *ops, name string) (err error) {
	dir := filepath.Join(d.dir, bulkDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("readmodel %s: %w", name, err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%06d.sst", name, d.tables.Add(1)))
	defer func() {
		if rerr := os.Remove(path); err == nil && rerr != nil && !os.IsNotExist(rerr) {
			err = fmt.Errorf("readmodel %s: %w", name, rerr)
		}
	}()
	if err := d.writeTable(path, w); err != nil {
		return fmt.Errorf("readmodel %s: write %s: %w", name, path, err)
	}
	if err := d.pdb.Ingest(context.Background(), []string{path}); err != nil {
		return fmt.Errorf("readmodel %s: ingest %s: %w", name, path, err)
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
