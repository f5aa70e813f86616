package pebble

import (
	"bytes"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// writer is where the appender puts a request's keys: the group's batch,
// or, for a multi-stream append, sortedWrites.
type writer interface {
	Set(key, value []byte, opts *pebble.WriteOptions) error
}

// sortedWrites gathers the writes of a multi-stream append and adds them
// to the group's batch in key order. The memtable is a skiplist whose
// inserter starts from where the previous key went: keys in order land
// next to each other (a run of $all positions costs almost nothing, and
// index, run and head keys share most of their descent), while the
// append order — $all, index, run and head keys of one stream after
// another — makes every key descend the whole list. Many small appends
// to many streams (the dunning engine's and the simulator's flushes)
// spent most of their commit there. Two writes of one key (a stream's
// head, written by two parts) keep their order, so the later one wins, as in the batch it replaces. Nothing of the writes
// is visible before they are added, so the order within the request is
// free; the batch stays one atomic commit.
type sortedWrites struct {
	buf  []byte // keys and values, back to back
	ents []sortedEntry
}

// sortedEntry locates one write in buf: key buf[k:v], value buf[v:end].
type sortedEntry struct{ k, v, end int }

// maxKeptSortBuffer keeps one huge append from pinning its buffer.
const maxKeptSortBuffer = 8 << 20

func (w *sortedWrites) reset() {
	if cap(w.buf) > maxKeptSortBuffer {
		w.buf = nil
	}
	w.buf, w.ents = w.buf[:0], w.ents[:0]
}

// Set implements writer: it copies key and value.
func (w *sortedWrites) Set(key, value []byte, _ *pebble.WriteOptions) error {
	k := len(w.buf)
	w.buf = append(w.buf, key...)
	v := len(w.buf)
	w.buf = append(w.buf, value...)
	w.ents = append(w.ents, sortedEntry{k, v, len(w.buf)})
	return nil
}

// writeTo adds the gathered writes to b in key order.
func (w *sortedWrites) writeTo(b *pebble.Batch) error {
	buf := w.buf
	slices.SortFunc(w.ents, func(x, y sortedEntry) int {
		if c := bytes.Compare(buf[x.k:x.v], buf[y.k:y.v]); c != 0 {
			return c
		}
		return x.k - y.k // the same key: in the order written
	})
	for _, e := range w.ents {
		if err := b.Set(buf[e.k:e.v], buf[e.v:e.end], nil); err != nil {
			return err
		}
	}
	return nil
}
