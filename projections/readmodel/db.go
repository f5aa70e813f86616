package readmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/internal/pebblelog"
)

// DB is the read-model database: its own Pebble store, apart from the
// event store. Projections write it; queries read it.
type DB struct {
	pdb      *pebble.DB
	dir      string
	opts     *pebble.Options // as opened, with defaults filled in
	inflight sync.WaitGroup  // background batch commits of the projections
	tables   atomic.Uint64   // names the sstables of bulk rebuilds
	// bulkDirty counts the changed records the projections in bulk mode
	// (bulkActive of them) hold unwritten; bulkBudget bounds it (see
	// bulk.go).
	bulkDirty, bulkActive atomic.Int64
	bulkBudget            int
}

// Open opens (or creates) the read-model database in dir. A second
// process opening the same directory gets an error from Pebble's lock.
func Open(dir string) (*DB, error) {
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache:        cache,
		MemTableSize: 64 << 20,
		Logger:       pebblelog.Quiet,
		DisableWAL:   true,
	}
	pdb, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("readmodel: open %s: %w", dir, err)
	}
	// Tables a crashed bulk rebuild wrote but never ingested are garbage.
	if err := os.RemoveAll(filepath.Join(dir, bulkDir)); err != nil {
		_ = pdb.Close()
		return nil, fmt.Errorf("readmodel: clear %s: %w", bulkDir, err)
	}
	opts = opts.Clone()
	opts.EnsureDefaults()
	return &DB{pdb: pdb, dir: dir, opts: opts, bulkBudget: defaultBulkBudget}, nil
}

// Close flushes and closes the database.
func (d *DB) Close() error {
	d.inflight.Wait()
	if err := d.pdb.Flush(); err != nil {
		_ = d.pdb.Close()
		return fmt.Errorf("readmodel: flush: %w", err)
	}
	return d.pdb.Close()
}

// get returns a copy of key's value; found is false when it is absent.
func (d *DB) get(r pebble.Reader, key []byte, dst []byte) (val []byte, found bool, err error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, fmt.Errorf("readmodel: get %q: %w", key, err)
	}
	dst = append(dst[:0], v...)
	return dst, true, closer.Close()
}

// deletePrefixes removes every key under the prefixes in one batch.
// Prefixes with no keys get no range deletion: on an empty database the
// tables a bulk rebuild ingests then overlap nothing and go straight to
// the bottom level, with no compaction.
func (d *DB) deletePrefixes(ctx context.Context, prefixes ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	for _, p := range prefixes {
		lo, hi := []byte(p), prefixEnd([]byte(p))
		empty, err := d.empty(lo, hi)
		if err != nil {
			return fmt.Errorf("readmodel: delete %s: %w", p, err)
		}
		if empty {
			continue
		}
		if err := b.DeleteRange(lo, hi, nil); err != nil {
			return fmt.Errorf("readmodel: delete %s: %w", p, err)
		}
	}
	if b.Empty() {
		return nil
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("readmodel: delete: %w", err)
	}
	return nil
}

// empty reports whether no key lies in [lo, hi).
func (d *DB) empty(lo, hi []byte) (bool, error) {
	it, err := d.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return false, err
	}
	found := it.First()
	if err := it.Close(); err != nil {
		return false, err
	}
	return !found, nil
}
