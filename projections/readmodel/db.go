package readmodel

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/internal/pebblelog"
)

// DB is the read-model database: its own Pebble store, apart from the
// event store. Projections write it; queries read it.
type DB struct {
	pdb      *pebble.DB
	inflight sync.WaitGroup // background batch commits of the projections
}

// Open opens (or creates) the read-model database in dir. A second
// process opening the same directory gets an error from Pebble's lock.
func Open(dir string) (*DB, error) {
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	pdb, err := pebble.Open(dir, &pebble.Options{
		Cache:        cache,
		MemTableSize: 64 << 20,
		Logger:       pebblelog.Quiet,
		DisableWAL:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: open %s: %w", dir, err)
	}
	return &DB{pdb: pdb}, nil
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
func (d *DB) deletePrefixes(ctx context.Context, prefixes ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := d.pdb.NewBatch()
	defer b.Close()
	for _, p := range prefixes {
		if err := b.DeleteRange([]byte(p), prefixEnd([]byte(p)), nil); err != nil {
			return fmt.Errorf("readmodel: delete %s: %w", p, err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("readmodel: delete: %w", err)
	}
	return nil
}
