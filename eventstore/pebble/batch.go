package pebble

import (
	"context"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
)

// AppendBatch implements eventstore.BatchAppender: the requests travel to
// the appender as one queued request, are checked and written in order
// into a batch of their own, and join the current group's synced commit
// only if every one of them passed; otherwise nothing of them is written.
// Input is validated and encoded here, in the caller's goroutine, as in
// Append.
func (s *Store) AppendBatch(ctx context.Context, reqs []eventstore.AppendRequest) ([]eventstore.AppendResult, error) {
	req, err := s.prepareBatch(ctx, reqs)
	if err != nil || req == nil {
		return nil, err
	}
	o := s.submitOutcome(ctx, req)
	if o.err != nil {
		return nil, o.err
	}
	return o.batch, nil
}

// QueueAppendBatch is AppendBatch in two halves: it validates and encodes
// reqs in the caller's goroutine and queues them as one multi-stream
// append, behind every request queued before it, then returns without
// waiting for the commit; wait blocks until the append is committed (or
// refused) and returns what AppendBatch would have. A writer that queues
// its appends one after another, each after the previous QueueAppendBatch
// returned, has them applied in that order, each checked against the
// heads the earlier ones leave, so it may queue the next append to a
// stream before the previous one is written; requests that queue up while
// a commit syncs share the next one. Appends queued with the same chain
// (nil: none) stand or fall in order: once one of them is refused, every
// later one is refused too, wrapping eventstore.ErrWrongExpectedVersion,
// so none is written without the ones before it. An error from
// QueueAppendBatch itself means nothing was queued; the writer must then
// queue nothing more on the chain. wait must be called once.
func (s *Store) QueueAppendBatch(ctx context.Context, chain *eventstore.QueueChain, reqs []eventstore.AppendRequest) (wait func() ([]eventstore.AppendResult, error), err error) {
	req, err := s.prepareBatch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	if req == nil {
		return func() ([]eventstore.AppendResult, error) { return nil, nil }, nil
	}
	req.chain = chain
	if o, ok := s.queue(ctx, req); !ok {
		return nil, o.err
	}
	return func() ([]eventstore.AppendResult, error) {
		o := s.await(ctx, req)
		if o.err != nil {
			return nil, o.err
		}
		return o.batch, nil
	}, nil
}

// prepareBatch validates reqs and encodes them into one opBatch request
// (nil for no requests). The parts are encoded into one buffer, owned
// (and released) by the batch's request; they are answered through it,
// with no channel of their own. The parts themselves come from a pool
// and go back to it on release: a flush of the dunning engine or the
// simulator carries hundreds of them.
func (s *Store) prepareBatch(ctx context.Context, reqs []eventstore.AppendRequest) (*request, error) {
	if err := eventstore.ValidateBatch(s.opts.MaxEventSize, reqs); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	bp := batchPartsPool.Get().(*batchParts)
	events := 0
	for i := range reqs {
		events += len(reqs[i].Events)
	}
	bp.size(len(reqs), events)
	req := &request{ctx: ctx, op: opBatch, stream: fmt.Sprintf("(%d requests)", len(reqs)), parts: bp.ptrs, pooledParts: bp, done: make(chan outcome, 1)}
	for i := range reqs {
		r := &reqs[i]
		p := &bp.reqs[i]
		*p = request{ctx: ctx, op: opAppend, stream: r.Stream, expected: r.Expected}
		for j := range r.Events {
			p.size += encodedSize(r.Stream, &r.Events[j])
		}
		req.size += p.size
	}
	req.buf = pooledBuffer(req.size)
	buf, pend := *req.buf, bp.pend
	for i := range reqs {
		n := len(reqs[i].Events)
		buf = bp.reqs[i].encode(buf, pend[:n:n], reqs[i].Events)
		pend = pend[n:]
	}
	*req.buf = buf
	return req, nil
}

// applyBatch applies the parts of an opBatch request in order, each part
// seeing the heads the parts before it leave, gathering their writes
// aside (sortedWrites). The first part that fails undoes what the earlier
// ones did to the caches and the next position, and the whole request
// fails naming it; only when all pass are their writes added to the
// group's batch, in key order. So the caches never hold anything the
// group's commit does not carry.
func (a *appender) applyBatch(batch *pebble.Batch, req *request, now int64) outcome {
	w := &a.sorted
	w.reset()
	undos := a.undos[:0]
	defer func() {
		clear(undos)
		a.undos = undos[:0]
	}()
	results := make([]eventstore.AppendResult, len(req.parts))
	for i, p := range req.parts {
		prev, cached := a.heads[p.stream]
		undos = append(undos, batchUndo{p.stream, prev, cached, a.nextPos})
		var o outcome
		if cached { // the head is in hand: no second lookup
			o = a.applyOneAt(w, p, prev, now)
		} else {
			o = a.applyOne(w, p, now)
		}
		if o.err != nil {
			for j := len(undos) - 1; j >= 0; j-- {
				a.undo(req.parts[j], undos[j].prev, undos[j].cached, undos[j].from)
			}
			return outcome{err: &eventstore.BatchError{Index: i, Stream: p.stream, Err: o.err}}
		}
		results[i] = o.res
	}
	if err := w.writeTo(batch); err != nil {
		for j := len(undos) - 1; j >= 0; j-- {
			a.undo(req.parts[j], undos[j].prev, undos[j].cached, undos[j].from)
		}
		return outcome{err: storageError("append batch", "", err)}
	}
	return outcome{res: results[len(results)-1], batch: results}
}

// batchUndo is what applyBatch needs to revert one part.
type batchUndo struct {
	stream string
	prev   head
	cached bool
	from   uint64 // a.nextPos before the part
}

// undo reverts what applying part did to the caches: its stream's head,
// its event-ID index entries and the next position. A part that repeated
// earlier events (or failed) wrote nothing and left a.nextPos at from.
func (a *appender) undo(part *request, prev head, cached bool, from uint64) {
	if cached {
		a.heads[part.stream] = prev
	} else {
		// Not cached before the batch, so no earlier request of the group
		// touched it: the stored head is still the truth.
		delete(a.heads, part.stream)
	}
	if a.nextPos != from {
		for i := range part.events {
			if ev := &part.events[i]; ev.callerID {
				delete(a.ids, idKey{part.stream, ev.id})
			}
		}
	}
	a.nextPos = from
}

// batchParts is the storage of a batch request's parts: the requests,
// pointers to them (request.parts) and their pending events.
type batchParts struct {
	ptrs []*request
	reqs []request
	pend []pendingEvent
}

// maxPooledParts keeps one huge batch from pinning its parts.
const maxPooledParts = 1 << 16

var batchPartsPool = sync.Pool{New: func() any { return new(batchParts) }}

// size makes room for n parts and events pending events.
func (b *batchParts) size(n, events int) {
	if cap(b.reqs) < n {
		b.reqs = make([]request, n)
		b.ptrs = make([]*request, n)
	}
	b.reqs, b.ptrs = b.reqs[:n], b.ptrs[:n]
	for i := range b.reqs {
		b.ptrs[i] = &b.reqs[i]
	}
	if cap(b.pend) < events {
		b.pend = make([]pendingEvent, events)
	}
	b.pend = b.pend[:events]
}

// recycle drops what the parts point to and returns them to the pool.
func (b *batchParts) recycle() {
	if cap(b.reqs) > maxPooledParts || cap(b.pend) > maxPooledParts {
		return
	}
	clear(b.reqs)
	clear(b.pend)
	batchPartsPool.Put(b)
}
