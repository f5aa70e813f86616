package pebble

import (
	"slices"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// model is an independent, deliberately naive in-memory statement of the
// store's semantics, for the random-operations test: no indexes, no
// caches, every question answered by scanning.
type model struct {
	log     []modelEvent // $all in commit order
	streams map[string]*modelStream
}

type modelEvent struct {
	id     uuid.UUID
	stream string
	rev    uint64
	typ    string
	data   string
	pos    eventstore.Position // learned from the store when first seen
}

type modelStream struct {
	next       uint64
	deleted    bool
	tombstoned bool
	floor      uint64 // revisions below were soft-deleted
	metaWrites uint64
	maxCount   *uint64
	truncate   *uint64
}

func newModel() *model { return &model{streams: map[string]*modelStream{}} }

func (m *model) stream(name string) *modelStream {
	st, ok := m.streams[name]
	if !ok {
		st = &modelStream{}
		m.streams[name] = st
	}
	return st
}

func (st *modelStream) exists() bool { return !st.deleted && !st.tombstoned && st.next > 0 }

func (st *modelStream) check(exp eventstore.ExpectedRevision) bool {
	switch {
	case exp.IsAny():
		return true
	case exp.IsNoStream():
		return !st.exists()
	case exp.IsStreamExists():
		return st.exists()
	}
	rev, _ := exp.Revision()
	return st.exists() && st.next-1 == rev
}

// revisionOf finds the revision at which stream holds id, scanning $all.
func (m *model) revisionOf(stream string, id uuid.UUID) (int, bool) {
	for i, e := range m.log {
		if e.stream == stream && e.id == id {
			return i, true
		}
	}
	return 0, false
}

// appendOutcome is what the model says an append does: an error sentinel,
// or the revision of the last event and whether it was a repeat (the index
// in log of the repeated last event).
type appendOutcome struct {
	err       error
	rev       uint64
	repeatIdx int // -1 unless a repeat
}

func (m *model) append(stream string, exp eventstore.ExpectedRevision, evs []modelEvent) appendOutcome {
	if len(evs) == 0 {
		return appendOutcome{err: eventstore.ErrInvalidArgument}
	}
	for _, e := range evs {
		if e.typ == "" {
			return appendOutcome{err: eventstore.ErrInvalidArgument}
		}
	}
	st := m.stream(stream)
	if st.tombstoned {
		return appendOutcome{err: eventstore.ErrStreamDeleted}
	}
	// Repeats: every caller ID already in the stream, consecutively.
	found := 0
	var idx []int
	for _, e := range evs {
		if e.id == uuid.Nil {
			continue
		}
		if i, ok := m.revisionOf(stream, e.id); ok {
			found++
			idx = append(idx, i)
		}
	}
	if found > 0 {
		if found != len(evs) {
			return appendOutcome{err: eventstore.ErrInvalidArgument}
		}
		for k := 1; k < len(idx); k++ {
			if m.log[idx[k]].rev != m.log[idx[0]].rev+uint64(k) {
				return appendOutcome{err: eventstore.ErrInvalidArgument}
			}
		}
		last := idx[len(idx)-1]
		return appendOutcome{rev: m.log[last].rev, repeatIdx: last}
	}
	if !st.check(exp) {
		return appendOutcome{err: eventstore.ErrWrongExpectedVersion}
	}
	for _, e := range evs {
		e.stream, e.rev = stream, st.next
		st.next++
		m.log = append(m.log, e)
	}
	st.deleted = false
	return appendOutcome{rev: st.next - 1, repeatIdx: -1}
}

func (m *model) remove(stream string, exp eventstore.ExpectedRevision, tombstone bool) error {
	st := m.stream(stream)
	if st.tombstoned {
		return eventstore.ErrStreamDeleted
	}
	if !st.check(exp) {
		return eventstore.ErrWrongExpectedVersion
	}
	if tombstone {
		st.tombstoned = true
		return nil
	}
	if !st.exists() {
		return eventstore.ErrStreamNotFound
	}
	st.deleted, st.floor = true, st.next
	t := st.next
	st.truncate = &t
	st.metaWrites++
	return nil
}

func (m *model) setMeta(stream string, exp eventstore.ExpectedRevision, maxCount, truncate *uint64) error {
	if maxCount != nil && *maxCount == 0 {
		return eventstore.ErrInvalidArgument
	}
	st := m.stream(stream)
	if st.tombstoned {
		return eventstore.ErrStreamDeleted
	}
	cur := modelStream{next: st.metaWrites}
	if !cur.check(exp) {
		return eventstore.ErrWrongExpectedVersion
	}
	st.metaWrites++
	st.maxCount, st.truncate = maxCount, truncate
	return nil
}

// readStream returns the indexes in log of the events a read returns.
func (m *model) readStream(stream string, opts eventstore.ReadStreamOptions) ([]int, error) {
	st := m.stream(stream)
	if st.tombstoned {
		return nil, eventstore.ErrStreamDeleted
	}
	if !st.exists() {
		return nil, eventstore.ErrStreamNotFound
	}
	var visible []int
	for i, e := range m.log {
		if e.stream != stream || e.rev < st.floor {
			continue
		}
		if st.truncate != nil && e.rev < *st.truncate {
			continue
		}
		if st.maxCount != nil && e.rev+*st.maxCount < st.next {
			continue
		}
		visible = append(visible, i)
	}
	var out []int
	if opts.Direction == eventstore.Backwards {
		slices.Reverse(visible)
	}
	for _, i := range visible {
		rev := m.log[i].rev
		switch {
		case opts.Direction == eventstore.Forwards && (opts.FromEnd || rev < opts.From):
			continue
		case opts.Direction == eventstore.Backwards && !opts.FromEnd && rev > opts.From:
			continue
		}
		out = append(out, i)
		if opts.Count > 0 && uint64(len(out)) == opts.Count {
			break
		}
	}
	return out, nil
}

// readAll returns the indexes in log a $all read returns, starting at
// index from (forwards, inclusive) or before it (backwards).
func (m *model) readAll(from int, backwards bool, count uint64) []int {
	var out []int
	if backwards {
		for i := from - 1; i >= 0; i-- {
			out = append(out, i)
			if count > 0 && uint64(len(out)) == count {
				break
			}
		}
		return out
	}
	for i := from; i < len(m.log); i++ {
		out = append(out, i)
		if count > 0 && uint64(len(out)) == count {
			break
		}
	}
	return out
}
