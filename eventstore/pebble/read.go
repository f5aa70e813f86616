package pebble

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
)

// ctxCheckEvery is how many events a read decodes between context checks.
const ctxCheckEvery = 1024

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.ValidateStream("read", stream); err != nil {
		return nil, err
	}
	if err := s.enter("read"); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	limit := s.lastPos.Load() // see ReadAll
	snap := s.db.NewSnapshot()
	defer snap.Close()
	h, err := getHead(snap, stream)
	if err != nil {
		return nil, err
	}
	switch {
	case h.state == stateTombstoned:
		return nil, &eventstore.Error{Op: "read", Stream: stream, Err: eventstore.ErrStreamDeleted}
	case !h.exists():
		return nil, &eventstore.Error{Op: "read", Stream: stream, Err: eventstore.ErrStreamNotFound}
	}
	m, err := getMeta(snap, stream)
	if err != nil {
		return nil, err
	}
	w := visibleWindow(h, m, time.Now())
	return readRevisions(ctx, snap, stream, w, limit, opts)
}

// window is the visible part of a stream: revisions [lo, hi) recorded at
// or after minCreated (unix nanoseconds).
type window struct {
	lo, hi     uint64
	minCreated int64
}

func visibleWindow(h head, m streamMeta, now time.Time) window {
	w := window{lo: h.floor, hi: h.next, minCreated: -1 << 63}
	if m.hasTruncate {
		w.lo = max(w.lo, m.truncateBefore)
	}
	if m.hasMaxCount && h.next > m.maxCount {
		w.lo = max(w.lo, h.next-m.maxCount)
	}
	if m.hasMaxAge {
		w.minCreated = now.UnixNano() - m.maxAgeNanos
	}
	return w
}

func readRevisions(ctx context.Context, snap *pebble.Snapshot, stream string, w window, limit uint64, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	lo, hi := w.lo, w.hi
	if opts.Direction == eventstore.Forwards {
		if opts.FromEnd {
			return []eventstore.RecordedEvent{}, nil
		}
		lo = max(lo, opts.From)
	} else if !opts.FromEnd && opts.From < hi {
		hi = opts.From + 1
	}
	if lo >= hi {
		return []eventstore.RecordedEvent{}, nil
	}
	runs, err := snap.NewIter(&pebble.IterOptions{LowerBound: streamPrefix(nil, stream), UpperBound: revisionKey(nil, stream, hi)})
	if err != nil {
		return nil, storageError("read", stream, err)
	}
	defer runs.Close()
	recs, err := snap.NewIter(&pebble.IterOptions{LowerBound: prefixGlobal, UpperBound: upperBound(prefixGlobal)})
	if err != nil {
		return nil, storageError("read", stream, err)
	}
	defer recs.Close()
	r := &streamReader{ctx: ctx, stream: stream, recs: recs, minCreated: w.minCreated, count: opts.Count, limit: limit,
		out: make([]eventstore.RecordedEvent, 0, min(hi-lo, 256, max(opts.Count, 1)*2))}
	if opts.Direction == eventstore.Backwards {
		err = r.backwards(runs, lo, hi)
	} else {
		err = r.forwards(runs, lo, hi)
	}
	if err == nil {
		err = storageError("read", stream, runs.Error())
	}
	if err != nil {
		return nil, err
	}
	return r.out, nil
}

// streamReader reads revisions [lo, hi) of one stream by walking its runs
// and following each to the global log.
type streamReader struct {
	ctx        context.Context
	stream     string
	recs       *pebble.Iterator
	at         uint64 // position recs is on (0: unpositioned)
	key        []byte
	ar         arena
	minCreated int64
	count      uint64
	limit      uint64 // last synced position; later ones are skipped
	out        []eventstore.RecordedEvent
	n          int
}

func (r *streamReader) forwards(runs *pebble.Iterator, lo, hi uint64) error {
	valid := runs.SeekLT(revisionKey(nil, r.stream, lo+1))
	for ; valid; valid = runs.Next() {
		first, run, err := decodeRun(r.stream, runs.Key(), runs.Value())
		if err != nil {
			return err
		}
		for rev := max(first, lo); rev < min(first+run.count, hi); rev++ {
			if done, err := r.emit(rev, run.firstPos+rev-first); done || err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *streamReader) backwards(runs *pebble.Iterator, lo, hi uint64) error {
	valid := runs.SeekLT(revisionKey(nil, r.stream, hi))
	for ; valid; valid = runs.Prev() {
		first, run, err := decodeRun(r.stream, runs.Key(), runs.Value())
		if err != nil {
			return err
		}
		for rev := min(first+run.count, hi); rev > max(first, lo); rev-- {
			if done, err := r.emit(rev-1, run.firstPos+rev-1-first); done || err != nil {
				return err
			}
		}
		if first <= lo {
			return nil
		}
	}
	return nil
}

// emit reads the record of rev at pos and, if visible, adds it. done is
// true once count events were collected.
func (r *streamReader) emit(rev, pos uint64) (done bool, err error) {
	if pos > r.limit {
		return false, nil
	}
	if r.n++; r.n%ctxCheckEvery == 0 {
		if err := r.ctx.Err(); err != nil {
			return true, err
		}
	}
	var valid bool
	switch {
	case r.at != 0 && pos == r.at+1:
		valid = r.recs.Next()
	case r.at != 0 && pos+1 == r.at:
		valid = r.recs.Prev()
	default:
		r.key = globalKey(r.key[:0], pos)
		valid = r.recs.SeekGE(r.key)
	}
	r.at = 0
	if !valid {
		if err := r.recs.Error(); err != nil {
			return true, storageError(fmt.Sprintf("read revision %d", rev), r.stream, err)
		}
		return true, corrupt(pos, fmt.Sprintf("record of %s@%d missing", r.stream, rev))
	}
	v, at, err := viewAt(r.recs)
	if err != nil {
		return true, err
	}
	r.at = at
	if at != pos || string(v.stream) != r.stream || v.revision != rev {
		return true, corrupt(pos, fmt.Sprintf("index names %s@%d at position %d but found %s@%d at %d", r.stream, rev, pos, v.stream, v.revision, at))
	}
	if v.created < r.minCreated {
		return false, nil
	}
	r.out = append(r.out, eventstore.RecordedEvent{})
	v.materialize(&r.ar, pos, &r.out[len(r.out)-1])
	return r.count > 0 && uint64(len(r.out)) >= r.count, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	if err := s.enter("read"); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	// Bounded by the last synced position: an applied batch is visible in
	// Pebble before its WAL sync completes, and a read must not return an
	// event that a crash could still take away.
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefixGlobal, UpperBound: globalKey(nil, s.lastPos.Load()+1)})
	if err != nil {
		return nil, storageError("read $all", "", err)
	}
	defer it.Close()
	backwards := opts.Direction == eventstore.Backwards
	var valid bool
	switch {
	case !backwards:
		valid = it.SeekGE(globalKey(nil, opts.From.Commit))
	case opts.From == eventstore.End:
		valid = it.Last()
	default:
		valid = it.SeekLT(globalKey(nil, opts.From.Commit))
	}
	out := make([]eventstore.RecordedEvent, 0, min(max(opts.Count, 64), 4096))
	var ar arena
	for n := 0; valid && (opts.Count == 0 || uint64(n) < opts.Count); n++ {
		if n%ctxCheckEvery == ctxCheckEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out = append(out, eventstore.RecordedEvent{})
		if err := decodeAt(it, &ar, &out[len(out)-1]); err != nil {
			return nil, err
		}
		if backwards {
			valid = it.Prev()
		} else {
			valid = it.Next()
		}
	}
	if err := it.Error(); err != nil {
		return nil, storageError("read $all", "", err)
	}
	return out, nil
}

// decodeAt decodes the record under the iterator's current g/ key.
func decodeAt(it *pebble.Iterator, ar *arena, e *eventstore.RecordedEvent) error {
	v, pos, err := viewAt(it)
	if err != nil {
		return err
	}
	v.materialize(ar, pos, e)
	return nil
}

func viewAt(it *pebble.Iterator) (recordView, uint64, error) {
	pos, ok := globalPos(it.Key())
	if !ok {
		return recordView{}, 0, &eventstore.Error{Op: "read", Detail: fmt.Sprintf("malformed global key %x", it.Key()), Err: eventstore.ErrCorruptRecord}
	}
	val, err := it.ValueAndErr()
	if err != nil {
		return recordView{}, pos, storageError(fmt.Sprintf("read position %d", pos), "", err)
	}
	v, err := parseRecord(pos, val)
	return v, pos, err
}
