package pebble

import (
	"context"
	"encoding/binary"
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
	return readRevisions(ctx, snap, stream, w, opts)
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

func readRevisions(ctx context.Context, snap *pebble.Snapshot, stream string, w window, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
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
	it, err := snap.NewIter(&pebble.IterOptions{
		LowerBound: revisionKey(nil, stream, lo),
		UpperBound: revisionKey(nil, stream, hi),
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	defer it.Close()
	out := make([]eventstore.RecordedEvent, 0, min(hi-lo, 256, max(opts.Count, 1)*2))
	var ar arena
	key := make([]byte, 0, 16)
	valid := it.First()
	if opts.Direction == eventstore.Backwards {
		valid = it.Last()
	}
	for n := 0; valid; n++ {
		if n%ctxCheckEvery == ctxCheckEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e, keep, err := readRevision(snap, stream, it, &ar, key, w.minCreated)
		if err != nil {
			return nil, err
		}
		if keep {
			out = append(out, e)
			if opts.Count > 0 && uint64(len(out)) >= opts.Count {
				break
			}
		}
		if opts.Direction == eventstore.Backwards {
			valid = it.Prev()
		} else {
			valid = it.Next()
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return out, nil
}

// readRevision follows one s/ entry to its record and checks the record
// belongs where the index says it does.
func readRevision(snap *pebble.Snapshot, stream string, it *pebble.Iterator, ar *arena, key []byte, minCreated int64) (eventstore.RecordedEvent, bool, error) {
	var e eventstore.RecordedEvent
	k := it.Key()
	rev := binary.BigEndian.Uint64(k[len(k)-8:])
	val, err := it.ValueAndErr()
	if err != nil {
		return e, false, err
	}
	if len(val) != 8 {
		return e, false, &eventstore.Error{Op: "read", Stream: stream, Detail: fmt.Sprintf("revision %d: malformed index entry", rev), Err: eventstore.ErrCorruptRecord}
	}
	pos := binary.BigEndian.Uint64(val)
	rec, closer, err := snap.Get(globalKey(key[:0], pos))
	if err != nil {
		return e, false, fmt.Errorf("read %s revision %d at position %d: %w", stream, rev, pos, err)
	}
	defer closer.Close()
	v, err := parseRecord(pos, rec)
	if err != nil {
		return e, false, err
	}
	if string(v.stream) != stream || v.revision != rev {
		return e, false, corrupt(pos, fmt.Sprintf("index names %s@%d but the record is %s@%d", stream, rev, v.stream, v.revision))
	}
	if v.created < minCreated {
		return e, false, nil
	}
	v.materialize(ar, pos, &e)
	return e, true, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	if err := s.enter("read"); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefixGlobal, UpperBound: upperBound(prefixGlobal)})
	if err != nil {
		return nil, fmt.Errorf("read $all: %w", err)
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
		return nil, fmt.Errorf("read $all: %w", err)
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
		return recordView{}, pos, fmt.Errorf("read position %d: %w", pos, err)
	}
	v, err := parseRecord(pos, val)
	return v, pos, err
}
