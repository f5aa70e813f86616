package pebble

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// Group commit limits: the appender stops gathering more requests into one
// batch past either. One append is never split, so a single large append
// may exceed maxGroupBytes on its own.
const (
	maxGroupRequests = 4096
	maxGroupBytes    = 16 << 20
)

// idKey is an (stream, event ID) index entry of the group being built.
type idKey struct {
	stream string
	id     uuid.UUID
}

// appender is the single goroutine that writes. It owns the head and
// metadata caches, so they need no lock: nothing else writes streams.
type appender struct {
	s       *Store
	done    chan struct{}
	nextPos uint64
	heads   map[string]head
	metas   map[string]streamMeta
	// ids holds the (stream, event ID) index entries written by earlier
	// requests of the group being built, which a Get cannot see yet.
	ids map[idKey][2]uint64
	// filter proves most caller IDs new without reading the index.
	filter *idFilter
	// written, when the store had no stream head at all when opened,
	// holds every stream whose head this session wrote (as the ID Nil),
	// so a stream it certainly does not hold needs no head read: it has
	// none. Nil otherwise (see idfilter.go).
	written *idFilter
	group   []*request
	out     []outcome
	keyBuf  []byte
	// sorted gathers a multi-stream append's writes (see sorted.go).
	sorted sortedWrites
	undos  []batchUndo // applyBatch's, reused
	valBuf []byte
}

func newAppender(s *Store, nextPos uint64, noHeads bool) *appender {
	a := &appender{
		s:       s,
		done:    make(chan struct{}),
		nextPos: nextPos,
		heads:   make(map[string]head),
		metas:   make(map[string]streamMeta),
		ids:     make(map[idKey][2]uint64),
		filter:  newIDFilter(),
	}
	if noHeads {
		a.written = newIDFilterSized(genKeys / 4)
	}
	return a
}

// run gathers whatever requests are queued (at least one), commits them
// as one synced batch and answers every caller, until the queue is closed
// and drained. While one group syncs, the next gathers in the queue.
//
// Measured on the 2-core development machine, handing synced groups to a
// second goroutine (so the appender could apply the next group during the
// sync) lost to this simple loop: the extra hand-off per group cost more
// than the overlap gained, and it split concurrent appends into smaller
// groups per sync.
func (a *appender) run() {
	defer close(a.done)
	for {
		req, ok := <-a.s.reqs
		if !ok {
			return
		}
		a.group = append(a.group[:0], req)
		size, open := req.size, true
	gather:
		for len(a.group) < maxGroupRequests && size < maxGroupBytes {
			select {
			case r, ok := <-a.s.reqs:
				if !ok {
					open = false
					break gather
				}
				a.group = append(a.group, r)
				size += r.size
			default:
				break gather
			}
		}
		a.commitGroup()
		if !open {
			return
		}
	}
}

func (a *appender) commitGroup() {
	a.out = slices.Grow(a.out[:0], len(a.group))[:len(a.group)]
	clear(a.out)
	defer func() {
		for i, req := range a.group {
			req.done <- a.out[i]
			a.group[i] = nil
		}
	}()
	if err := a.s.failure(); err != nil {
		a.failAll(err)
		return
	}
	// Sized for the group at once: a batch grown by doubling allocates and
	// copies its data again and again, and one over Pebble's retained size
	// (1 MiB: a large group, such as a simulation's queued steps) does so
	// on every commit.
	size := 0
	for _, req := range a.group {
		size += req.size
	}
	batch := a.s.db.NewBatchWithSize(batchSizeHint(size))
	defer batch.Close()
	clear(a.ids)
	now := time.Now().UnixNano()
	for i, req := range a.group {
		switch {
		case req.chain != nil && req.chain.Broken() != nil:
			// The earlier refusal is quoted, not wrapped: its BatchError indexes
			// another append's requests.
			a.out[i].err = fmt.Errorf("%s: %w: an earlier append of its chain was refused: %v", opName(req.op), eventstore.ErrWrongExpectedVersion, req.chain.Broken())
		case req.ctx.Err() != nil:
			a.out[i].err = fmt.Errorf("%s %s: %w", opName(req.op), req.stream, req.ctx.Err())
		default:
			a.out[i] = a.apply(batch, req, now)
		}
		if a.out[i].err != nil && req.chain != nil {
			req.chain.Break(a.out[i].err)
		}
		req.release() // the batch has its own copy
	}
	if len(a.heads) > a.s.opts.HeadCacheSize {
		clear(a.heads)
	}
	if len(a.metas) > a.s.opts.HeadCacheSize {
		clear(a.metas)
	}
	if batch.Empty() {
		return
	}
	if err := a.s.db.Apply(batch, pebble.Sync); err != nil {
		a.s.fail(err)
		a.failAll(err)
		return
	}
	// Only now, synced, does the group become visible to $all reads and
	// subscribers, which are bounded by lastPos.
	a.s.lastPos.Store(a.nextPos - 1)
	a.s.commits.broadcast()
}

// batchSizeHint is the room a group's batch needs for size bytes of
// records: the records, plus their keys, index entries, runs and heads
// (about half again for small events), plus Pebble's header.
func batchSizeHint(size int) int {
	return size + size/2 + 1024
}

// failAll fails every request of the group that had not failed already.
// After a failed commit the caches may hold changes that are not durable,
// so the store refuses all further writes (see Store.fail).
func (a *appender) failAll(err error) {
	for i, req := range a.group {
		req.release()
		if a.out[i].err == nil {
			a.out[i] = outcome{err: fmt.Errorf("%s %s: %w: %w", opName(req.op), req.stream, eventstore.ErrUnavailable, err)}
		}
		if req.chain != nil {
			req.chain.Break(a.out[i].err)
		}
	}
}

func opName(op opKind) string {
	switch op {
	case opDelete:
		return "delete"
	case opTombstone:
		return "tombstone"
	case opSetMeta:
		return "set metadata"
	case opBatch:
		return "append batch"
	default:
		return "append"
	}
}

// apply checks one request against the current heads and, if it passes,
// adds its writes to batch and updates the caches. A request that fails
// adds nothing: every check comes before the first write.
func (a *appender) apply(batch *pebble.Batch, req *request, now int64) outcome {
	if req.op == opBatch {
		return a.applyBatch(batch, req, now)
	}
	return a.applyOne(batch, req, now)
}

// applyOne is apply for a request that is not a multi-stream append.
func (a *appender) applyOne(batch writer, req *request, now int64) outcome {
	h, err := a.head(req.stream)
	if err != nil {
		return outcome{err: err}
	}
	return a.applyOneAt(batch, req, h, now)
}

// applyOneAt is applyOne on the stream's current head h.
func (a *appender) applyOneAt(batch writer, req *request, h head, now int64) outcome {
	if h.state == stateTombstoned {
		return outcome{err: &eventstore.Error{Op: opName(req.op), Stream: req.stream, Err: eventstore.ErrStreamDeleted}}
	}
	switch req.op {
	case opAppend:
		return a.applyAppend(batch, req, h, now)
	case opDelete, opTombstone:
		return a.applyDelete(batch, req, h)
	default:
		return a.applySetMeta(batch, req)
	}
}

func wrongExpected(req *request, cur eventstore.CurrentRevision) outcome {
	return outcome{err: &eventstore.WrongExpectedVersionError{Stream: req.stream, Expected: req.expected, Current: cur}}
}

func (a *appender) applyAppend(batch writer, req *request, h head, now int64) outcome {
	sh := a.filter.streamHash(req.stream)
	if res, dup, err := a.repeated(req, h.born, sh); err != nil || dup {
		return outcome{res: res, err: err}
	}
	cur := h.current()
	if !req.expected.Check(cur.Revision, cur.Exists) {
		return wrongExpected(req, cur)
	}
	rev := h.next
	var pos uint64
	a.keyBuf = revisionKey(a.keyBuf[:0], req.stream, rev)
	a.valBuf = appendRun(a.valBuf[:0], run{firstPos: a.nextPos, count: uint64(len(req.events))})
	batch.Set(a.keyBuf, a.valBuf, nil)
	for i := range req.events {
		ev := &req.events[i]
		pos = a.nextPos
		a.nextPos++
		sealRecord(ev.rec, pos, rev, now)
		a.keyBuf = globalKey(a.keyBuf[:0], pos)
		batch.Set(a.keyBuf, ev.rec, nil)
		if ev.callerID {
			a.keyBuf = indexKey(a.keyBuf[:0], req.stream, ev.id)
			a.valBuf = appendIndex(a.valBuf[:0], rev, pos)
			batch.Set(a.keyBuf, a.valBuf, nil)
			a.ids[idKey{req.stream, ev.id}] = [2]uint64{rev, pos}
			a.filter.add(sh, ev.id)
		}
		rev++
	}
	h.next, h.state = rev, stateLive
	a.putHead(batch, req.stream, h)
	return outcome{res: eventstore.AppendResult{NextExpectedRevision: rev - 1, Position: eventstore.Position{Commit: pos, Prepare: pos}}}
}

// repeated checks the (stream, event ID) index for the caller-chosen IDs
// of req. When every event is already in the stream at consecutive
// revisions in the same order, the append is a repeat: dup is true and res
// is the original result. When only some are there, or out of order, the
// append is refused: writing it would duplicate events. IDs that the
// filter proves new for a stream born in generation born are not looked up.
func (a *appender) repeated(req *request, born uint32, sh uint64) (res eventstore.AppendResult, dup bool, err error) {
	found := 0
	var firstRev, lastRev, lastPos uint64
	for i := range req.events {
		ev := &req.events[i]
		if !ev.callerID || a.filter.absent(born, sh, ev.id) {
			continue
		}
		rev, pos, ok, err := a.lookupID(req.stream, ev)
		if err != nil {
			return res, false, err
		}
		if !ok {
			continue
		}
		if found == 0 {
			firstRev = rev - uint64(i)
		}
		if found != i || rev != firstRev+uint64(i) {
			return res, false, repeatOutOfOrder(req.stream, i, rev)
		}
		found++
		lastRev, lastPos = rev, pos
	}
	switch found {
	case 0:
		return res, false, nil
	case len(req.events):
		return eventstore.AppendResult{NextExpectedRevision: lastRev, Position: eventstore.Position{Commit: lastPos, Prepare: lastPos}}, true, nil
	default:
		return res, false, repeatPartial(req.stream, found)
	}
}

func repeatOutOfOrder(stream string, i int, rev uint64) error {
	return eventstore.Invalid("append", stream, fmt.Sprintf("events[%d].ID", i),
		fmt.Sprintf("already appended to this stream at revision %d, but the append does not repeat earlier events whole and in order", rev))
}

func repeatPartial(stream string, i int) error {
	return eventstore.Invalid("append", stream, fmt.Sprintf("events[%d].ID", i),
		"new, while the events before it were already appended: a repeated append must repeat earlier events whole, without new ones")
}

func (a *appender) lookupID(stream string, ev *pendingEvent) (rev, pos uint64, ok bool, err error) {
	if v, hit := a.ids[idKey{stream, ev.id}]; hit {
		return v[0], v[1], true, nil
	}
	a.keyBuf = indexKey(a.keyBuf[:0], stream, ev.id)
	val, closer, err := a.s.db.Get(a.keyBuf)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, storageError("append: read event ID index", stream, err)
	}
	defer closer.Close()
	rev, pos, err = decodeIndex(stream, val)
	return rev, pos, err == nil, err
}

func (a *appender) applyDelete(batch writer, req *request, h head) outcome {
	cur := h.current()
	if !req.expected.Check(cur.Revision, cur.Exists) {
		return wrongExpected(req, cur)
	}
	if req.op == opTombstone {
		h.state = stateTombstoned
		a.putHead(batch, req.stream, h)
		return outcome{}
	}
	if !cur.Exists {
		return outcome{err: &eventstore.Error{Op: "delete", Stream: req.stream, Err: eventstore.ErrStreamNotFound}}
	}
	m, err := a.meta(req.stream)
	if err != nil {
		return outcome{err: err}
	}
	h.state, h.floor = stateDeleted, h.next
	m.writes++
	m.hasTruncate, m.truncateBefore = true, h.next
	a.putHead(batch, req.stream, h)
	a.putMeta(batch, req.stream, m)
	return outcome{}
}

func (a *appender) applySetMeta(batch writer, req *request) outcome {
	m, err := a.meta(req.stream)
	if err != nil {
		return outcome{err: err}
	}
	cur := m.current()
	if !req.expected.Check(cur.Revision, cur.Exists) {
		return wrongExpected(req, cur)
	}
	next := streamMeta{writes: m.writes + 1}
	if v := req.meta.MaxCount; v != nil {
		next.hasMaxCount, next.maxCount = true, *v
	}
	if v := req.meta.MaxAge; v != nil {
		next.hasMaxAge, next.maxAgeNanos = true, int64(*v)
	}
	if v := req.meta.TruncateBefore; v != nil {
		next.hasTruncate, next.truncateBefore = true, *v
	}
	a.putMeta(batch, req.stream, next)
	return outcome{}
}

func (a *appender) head(stream string) (head, error) {
	if h, ok := a.heads[stream]; ok {
		return h, nil
	}
	if a.written != nil && a.written.absent(1, a.written.streamHash(stream), uuid.Nil) {
		h := head{born: a.filter.birth()}
		a.heads[stream] = h
		return h, nil
	}
	h, found, err := lookupHead(a.s.db, stream)
	if err != nil {
		return h, err
	}
	if !found {
		h.born = a.filter.birth()
	}
	a.heads[stream] = h
	return h, nil
}

func (a *appender) meta(stream string) (streamMeta, error) {
	if m, ok := a.metas[stream]; ok {
		return m, nil
	}
	m, err := getMeta(a.s.db, stream)
	if err == nil {
		a.metas[stream] = m
	}
	return m, err
}

func (a *appender) putHead(batch writer, stream string, h head) {
	a.keyBuf = headKey(a.keyBuf[:0], stream)
	a.valBuf = appendHead(a.valBuf[:0], stream, h)
	batch.Set(a.keyBuf, a.valBuf, nil) // copies
	if a.written != nil && !h.known {
		a.written.add(a.written.streamHash(stream), uuid.Nil)
	}
	h.known = true
	a.heads[stream] = h
}

func (a *appender) putMeta(batch writer, stream string, m streamMeta) {
	a.keyBuf = metaKey(a.keyBuf[:0], stream)
	batch.Set(a.keyBuf, encodeMeta(stream, m), nil)
	a.metas[stream] = m
}
