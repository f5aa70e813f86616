package readmodel

import (
	"fmt"
	"strings"
)

// row is what a table stores: a record that encodes itself and names the
// indexes it appears in.
type row[R any] interface {
	*R
	encode(e *enc)
	decode(d *dec)
	indexes(dst []ixEntry) []ixEntry
	sequence() uint64
	// settled reports that the record is unlikely to change again (a
	// paid or void invoice, a canceled subscription): the cache drops
	// such records first.
	settled() bool
}

// entry is a cached record: cur is being changed by the batch; oldIx and
// oldSeq are the index entries and sequence of the committed version,
// to diff indexes against (a whole second copy of the record would
// double the cache's memory). oldIx holds the entries packed in one
// string, each name and value followed by a NUL (neither contains one,
// see keys.go): a rebuild caches hundreds of thousands of records, and
// an array of entries would be a quarter of each.
type entry[R any] struct {
	id     string
	cur    R
	oldIx  string
	oldSeq uint64
	exists bool
	dirty  bool
	gen    uint64 // the batch that last used it
}

// maxIndexes bounds the index entries of one record.
const maxIndexes = 6

// table caches the records of one kind between batches. Reads of records
// the batch changed come from the cache; flush writes each changed record
// once per batch with its index changes. The cache is bounded: it is
// dropped wholesale after a flush that leaves it over maxCached, which
// keeps memory flat on any history while still absorbing the locality of
// events (an invoice's events come close together).
type table[R any, P row[R]] struct {
	kind  string
	items map[string]*entry[R]
	// spilled maps the IDs of the records of the bulk spill in flight
	// to their place in its records (spillOps), until it lands.
	spilled   map[string]uint32
	spillOps  *ops
	dirty     []*entry[R]
	maxCached int
	gen       uint64
	seen      absent
	expected  int // records the Bloom filter is sized for
	// last is the entry get returned last: a stream's events are
	// appended together, so they tend to follow each other in $all. It
	// is cleared whenever items drops entries.
	last *entry[R]

	enc            enc
	key, val       []byte
	newIx, oldIxs  []ixEntry
	packed         []byte // remember's scratch, used by one goroutine at a time
	oldKey, newKey []byte
}

// newTable returns a table caching up to maxCached records, whose Bloom
// filter of written IDs (after a Reset) holds up to expected records.
func newTable[R any, P row[R]](kind string, maxCached, expected int) *table[R, P] {
	return &table[R, P]{kind: kind, items: map[string]*entry[R]{}, maxCached: maxCached, expected: expected}
}

// get returns the cached entry of id, loading it on a miss (see
// lookup). A record that does not exist yet comes back with exists false.
func (t *table[R, P]) get(db *DB, wait func() error, id []byte) (*entry[R], error) {
	if e := t.last; e != nil && e.id == string(id) {
		e.gen = t.gen
		return e, nil
	}
	e, err := t.lookup(db, wait, id)
	if err == nil {
		t.last = e
	}
	return e, err
}

// lookup finds id in the cache, else loads it: from the bulk spill in
// flight if that holds it, else from the database. While a spill is in
// flight the database is read without waiting for it: every other
// record's latest version landed before the spill began. While an
// ordinary commit is in flight, a read waits for it (wait).
func (t *table[R, P]) lookup(db *DB, wait func() error, id []byte) (*entry[R], error) {
	if e, ok := t.items[string(id)]; ok {
		e.gen = t.gen
		return e, nil
	}
	e := &entry[R]{id: string(id), gen: t.gen}
	if t.seen.surely(id) {
		t.items[e.id] = e
		return e, nil
	}
	val, found, err := t.load(db, wait, e.id)
	if err != nil {
		return nil, err
	}
	if found {
		d := newDec(val)
		P(&e.cur).decode(d)
		if err := d.done(); err != nil {
			return nil, fmt.Errorf("%s %s: %w", t.kind, e.id, err)
		}
		e.exists = true
		t.newIx = P(&e.cur).indexes(t.newIx[:0])
		if err := e.remember(&t.packed, t.newIx, P(&e.cur).sequence()); err != nil {
			return nil, fmt.Errorf("%s %s: %w", t.kind, e.id, err)
		}
	}
	t.items[e.id] = e
	return e, nil
}

// load returns the stored form of record id.
func (t *table[R, P]) load(db *DB, wait func() error, id string) ([]byte, bool, error) {
	if t.spillOps != nil {
		if i, ok := t.spilled[id]; ok {
			return t.spillOps.val(t.spillOps.list[i]), true, nil
		}
	} else if err := wait(); err != nil {
		return nil, false, err
	}
	t.key = recordKey(t.key, t.kind, id)
	var found bool
	var err error
	t.val, found, err = db.get(db.pdb, t.key, t.val)
	return t.val, found, err
}

// spilling records that the changed records were flushed to rec, in
// order, by a bulk spill now in flight: until it lands, lookup reads
// them from there.
func (t *table[R, P]) spilling(rec *ops) {
	if t.spilled == nil {
		t.spilled = make(map[string]uint32, len(t.dirty))
	}
	clear(t.spilled)
	for i, e := range t.dirty {
		t.spilled[e.id] = uint32(i)
	}
	t.spillOps = rec
}

// pending counts the records changed since the last flush.
func (t *table[R, P]) pending() int { return len(t.dirty) }

// touch marks e as changed in this batch.
func (t *table[R, P]) touch(e *entry[R]) {
	if !e.dirty {
		e.dirty = true
		t.dirty = append(t.dirty, e)
	}
}

// flush adds every changed record to rec and its index changes to ixw
// (the same ops, or two: a bulk write keeps them apart, see bulk.go).
// With two, the index changes are computed on another goroutine while
// this one encodes the records: a bulk write flushes hundreds of
// thousands of records at once, and the two halves share no state.
func (t *table[R, P]) flush(rec, ixw *ops) error {
	if rec == ixw || len(t.dirty) < parallelFlush {
		if err := t.flushIndexes(ixw); err != nil {
			return err
		}
		t.flushRecords(rec)
		return nil
	}
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = t.flushIndexes(ixw)
	}()
	t.flushRecords(rec)
	<-done
	return err
}

// parallelFlush is the number of changed records from which flush
// splits its work (a variable for tests).
var parallelFlush = 4096

// flushIndexes adds the index changes of every changed record to w and
// remembers the new entries as the committed version's: if the write
// fails, the cache is discarded whole.
func (t *table[R, P]) flushIndexes(w *ops) error {
	for _, e := range t.dirty {
		cur := P(&e.cur)
		t.newIx = cur.indexes(t.newIx[:0])
		var oldIx []ixEntry
		if e.exists {
			t.oldIxs = unpackIndexes(t.oldIxs[:0], e.oldIx)
			oldIx = t.oldIxs
		}
		seq := cur.sequence()
		for _, ix := range oldIx {
			if !contains(t.newIx, ix) || e.oldSeq != seq {
				t.oldKey = indexKey(t.oldKey, t.kind, ix, e.oldSeq)
				w.delete(t.oldKey)
			}
		}
		for _, ix := range t.newIx {
			if !e.exists || !contains(oldIx, ix) || e.oldSeq != seq {
				t.newKey = indexKey(t.newKey, t.kind, ix, seq)
				w.set(t.newKey, []byte(e.id))
			}
		}
		if err := e.remember(&t.packed, t.newIx, seq); err != nil {
			return fmt.Errorf("%s %s: %w", t.kind, e.id, err)
		}
	}
	return nil
}

// flushRecords adds every changed record to w. It touches none of what
// flushIndexes does (the index fields of the entries, its buffers).
func (t *table[R, P]) flushRecords(w *ops) {
	for _, e := range t.dirty {
		t.seen.add(e.id)
		t.enc.reset()
		P(&e.cur).encode(&t.enc)
		t.key = recordKey(t.key, t.kind, e.id)
		w.set(t.key, t.enc.b)
	}
}

// committed records that the flushed batch is durable: the cache now
// mirrors the database.
func (t *table[R, P]) committed() {
	for _, e := range t.dirty {
		e.exists, e.dirty = true, false
	}
	t.dirty = t.dirty[:0]
	t.gen++
	if len(t.items) <= t.maxCached {
		return
	}
	// Keep up to half of the recently used records, those still in play
	// first (a history's open invoices are what its next events touch;
	// paid ones rarely hear again). A fresh map returns the memory.
	keep := make(map[string]*entry[R], t.maxCached/2)
	for _, settled := range []bool{false, true} {
		for id, e := range t.items {
			if len(keep) >= t.maxCached/2 {
				break
			}
			if e.gen+2 >= t.gen && P(&e.cur).settled() == settled {
				keep[id] = e
			}
		}
	}
	t.items, t.last = keep, nil
}

// landed records that the last flushed write is in the database.
func (t *table[R, P]) landed() {
	if t.spillOps != nil {
		clear(t.spilled)
		t.spillOps = nil
	}
}

// discard forgets everything cached, after a failed batch.
func (t *table[R, P]) discard() {
	t.items, t.last = make(map[string]*entry[R]), nil
	t.landed()
	t.dirty = t.dirty[:0]
}

// reset forgets everything and starts tracking which records exist: the
// database is about to be emptied.
func (t *table[R, P]) reset() {
	t.discard()
	t.seen.reset(t.expected)
}

// remember records the index entries and sequence of the version about
// to be committed; scratch is the caller's buffer to pack them in.
func (e *entry[R]) remember(scratch *[]byte, ixs []ixEntry, seq uint64) error {
	if len(ixs) > maxIndexes {
		return fmt.Errorf("%d index entries, at most %d", len(ixs), maxIndexes)
	}
	b := (*scratch)[:0]
	for _, ix := range ixs {
		b = append(append(append(append(b, ix.name...), 0), ix.value...), 0)
	}
	*scratch = b
	if e.oldIx != string(b) { // unchanged indexes need no new string
		e.oldIx = string(b)
	}
	e.oldSeq = seq
	return nil
}

// unpackIndexes appends the entries packed in s (see entry) to dst; the
// names and values are substrings of s.
func unpackIndexes(dst []ixEntry, s string) []ixEntry {
	for len(s) > 0 {
		name, rest, _ := strings.Cut(s, "\x00")
		value, rest, _ := strings.Cut(rest, "\x00")
		dst = append(dst, ixEntry{name, value})
		s = rest
	}
	return dst
}

func contains(ixs []ixEntry, ix ixEntry) bool {
	for _, x := range ixs {
		if x == ix {
			return true
		}
	}
	return false
}
