package storebench

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// OpenRaw opens a plain Pebble database configured like the store's (same
// memtable, block cache and filters), for baselines.
func OpenRaw(dir string) (*pebble.DB, error) {
	cache := pebble.NewCache(128 << 20)
	defer cache.Unref()
	opts := &pebble.Options{Cache: cache, MemTableSize: 64 << 20, FormatMajorVersion: pebble.FormatNewest, Logger: quiet{}}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].BlockSize = 32 << 10
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open raw pebble %s: %w", dir, err)
	}
	return db, nil
}

type quiet struct{}

func (quiet) Infof(string, ...any)           {}
func (quiet) Errorf(f string, a ...any)      { pebble.DefaultLogger.Errorf(f, a...) }
func (quiet) Fatalf(format string, a ...any) { pebble.DefaultLogger.Fatalf(format, a...) }

func rawKey(dst []byte, g, i int) []byte {
	dst = append(dst[:0], "k/"...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(g))
	return binary.BigEndian.AppendUint64(dst, uint64(i))
}

// RawConcurrent is AppendConcurrent's baseline: goroutines each commit one
// ~EventSize key at a time, synced.
func RawConcurrent(ctx context.Context, db *pebble.DB, goroutines int, b Budget) (Measured, error) {
	value := Event(0).Data
	var claimed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for g := range goroutines {
		wg.Go(func() {
			var key []byte
			for i := 0; ; i++ {
				n := int(claimed.Add(1))
				if !b.more(n-1) || ctx.Err() != nil {
					claimed.Add(-1)
					return
				}
				key = rawKey(key, g+1<<16, i)
				if err := db.Set(key, value, pebble.Sync); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return Measured{Events: int(claimed.Load()), Elapsed: time.Since(start)}, firstErr
}

// RawBulk is AppendBulk's baseline: synced batches of size keys.
func RawBulk(ctx context.Context, db *pebble.DB, size int, b Budget) (Measured, error) {
	value := Event(0).Data
	start := time.Now()
	done := 0
	var key []byte
	for round := 0; b.more(done) && ctx.Err() == nil; round++ {
		batch := db.NewBatch()
		for i := range size {
			key = rawKey(key, round, i)
			batch.Set(key, value, nil)
		}
		err := batch.Commit(pebble.Sync)
		batch.Close()
		if err != nil {
			return Measured{Events: done, Elapsed: time.Since(start)}, err
		}
		done += size
	}
	return Measured{Events: done, Elapsed: time.Since(start)}, nil
}

// RawIterate is ReadAll's baseline: iterate every key, touching each value.
func RawIterate(db *pebble.DB) (Measured, int, error) {
	start := time.Now()
	it, err := db.NewIter(&pebble.IterOptions{})
	if err != nil {
		return Measured{}, 0, err
	}
	n, bytes := 0, 0
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return Measured{}, 0, err
		}
		bytes += len(v)
		n++
	}
	if err := it.Close(); err != nil {
		return Measured{}, 0, err
	}
	return Measured{Events: n, Elapsed: time.Since(start)}, bytes, nil
}
