package readmodel

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// ops gathers a batch's writes so they reach Pebble in key order: the
// memtable's skiplist inserter reuses its search path between
// neighbouring keys, which makes sorted inserts several times cheaper
// than the order records happened to change in, and an sstable must be
// written in order. Keys are unique within a batch (one record key per
// record, index keys carry the record's sequence), so order among equal
// keys never matters.
//
// Keys and values live in fixed-size chunks that are kept across
// batches: a bulk rebuild writes tens of MB per batch, and a growing
// slice would copy and reallocate it several times over.
type ops struct {
	chunks [][]byte
	used   int // chunks[:used] hold this batch's bytes
	list   []op
	sorter []sortItem
}

// opsChunk is the size of an arena chunk.
const opsChunk = 1 << 20

type op struct {
	chunk, off, klen, vlen uint32
	del                    bool
}

func (o *ops) reset() {
	for i := range o.used {
		o.chunks[i] = o.chunks[i][:0]
	}
	o.used, o.list = 0, o.list[:0]
}

// release drops the memory of the writes, which must not be read again.
func (o *ops) release() {
	*o = ops{}
}

func (o *ops) add(key, val []byte, del bool) {
	n := len(key) + len(val)
	if o.used == 0 || cap(o.chunks[o.used-1])-len(o.chunks[o.used-1]) < n {
		if o.used == len(o.chunks) || cap(o.chunks[o.used]) < n {
			c := make([]byte, 0, max(opsChunk, n))
			if o.used == len(o.chunks) {
				o.chunks = append(o.chunks, c)
			} else {
				o.chunks[o.used] = c
			}
		}
		o.used++
	}
	c := &o.chunks[o.used-1]
	off := len(*c)
	*c = append(append(*c, key...), val...)
	o.list = append(o.list, op{chunk: uint32(o.used - 1), off: uint32(off), klen: uint32(len(key)), vlen: uint32(len(val)), del: del})
}

func (o *ops) set(key, val []byte) { o.add(key, val, false) }
func (o *ops) delete(key []byte)   { o.add(key, nil, true) }

func (o *ops) key(w op) []byte {
	return o.chunks[w.chunk][w.off : w.off+w.klen]
}

func (o *ops) val(w op) []byte {
	return o.chunks[w.chunk][w.off+w.klen : w.off+w.klen+w.vlen]
}

// apply sorts the writes and adds them to b.
func (o *ops) apply(b *pebble.Batch) error {
	return o.each(func(key, val []byte, del bool) error {
		if del {
			return b.Delete(key, nil)
		}
		return b.Set(key, val, nil)
	})
}

// each sorts the writes and calls fn on each in key order.
func (o *ops) each(fn func(key, val []byte, del bool) error) error {
	o.sort()
	for _, i := range o.sorter {
		w := o.list[i.i]
		if err := fn(o.key(w), o.val(w), w.del); err != nil {
			return err
		}
	}
	return nil
}

// sortItem orders one op by 8 bytes of its key from some depth on: n is
// how many key bytes remain there, capped at 9 (more than fit).
type sortItem struct {
	abbr uint64
	n    uint32
	i    uint32
}

// sort orders o.sorter by key. Keys share long prefixes (kind, index
// name, customer ID ...), where comparing whole keys is slow: it sorts by
// 8 bytes at a time instead, and only runs that tie on all 8 go on to the
// next 8.
func (o *ops) sort() {
	o.sorter = slices.Grow(o.sorter[:0], len(o.list))[:len(o.list)]
	for i := range o.list {
		o.sorter[i].i = uint32(i)
	}
	o.sortFrom(o.sorter, o.commonPrefix())
}

// commonPrefix returns the length of the prefix all keys share (a part
// of a bulk write shares its kind and more: "inv/r/in_000"), from where
// the sort starts, sparing it rounds that would only find ties.
func (o *ops) commonPrefix() int {
	if len(o.list) == 0 {
		return 0
	}
	first := o.key(o.list[0])
	n := len(first)
	for _, w := range o.list[1:] {
		k := o.key(w)
		i, m := 0, min(n, len(k))
		for i < m && k[i] == first[i] {
			i++
		}
		if n = i; n == 0 {
			return 0
		}
	}
	return n
}

func (o *ops) sortFrom(items []sortItem, depth int) {
	for len(items) > 1 {
		for j := range items {
			k := o.key(o.list[items[j].i])
			items[j].abbr, items[j].n = abbrev(k, depth)
		}
		slices.SortFunc(items, func(a, b sortItem) int {
			if c := cmp.Compare(a.abbr, b.abbr); c != 0 {
				return c
			}
			return cmp.Compare(a.n, b.n)
		})
		// Runs that still tie and go on need the next 8 bytes; the
		// longest run continues in this loop, the others recurse.
		var longest []sortItem
		for start := 0; start < len(items); {
			end := start + 1
			for end < len(items) && items[end].abbr == items[start].abbr && items[end].n == items[start].n {
				end++
			}
			if run := items[start:end]; len(run) > 1 && run[0].n > 8 {
				if len(run) > len(longest) {
					if len(longest) > 1 {
						o.sortFrom(longest, depth+8)
					}
					longest = run
				} else {
					o.sortFrom(run, depth+8)
				}
			}
			start = end
		}
		items, depth = longest, depth+8
	}
}

// abbrev returns 8 bytes of k from depth on, big-endian and zero-padded,
// and how many bytes remain from depth (at most 9).
func abbrev(k []byte, depth int) (uint64, uint32) {
	if depth >= len(k) {
		return 0, 0
	}
	rest := k[depth:]
	if len(rest) >= 8 {
		return binary.BigEndian.Uint64(rest), uint32(min(len(rest), 9))
	}
	var buf [8]byte
	copy(buf[:], rest)
	return binary.BigEndian.Uint64(buf[:]), uint32(len(rest))
}
