package pebble

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// opKind is what a request asks the appender to do.
type opKind uint8

const (
	opAppend opKind = iota
	opDelete
	opTombstone
	opSetMeta
	opBatch // several appends, to one or more streams, in one atomic commit
)

// request is one caller's write, queued for the appender. Everything that
// can be done without the stream heads (validation, record encoding) is
// done before queueing, in the caller's goroutine.
type request struct {
	ctx      context.Context
	op       opKind
	stream   string
	expected eventstore.ExpectedRevision
	events   []pendingEvent
	size     int
	buf      *[]byte // holds the events' records; see release
	meta     eventstore.StreamMetadata
	parts    []*request // opBatch: its appends, in order
	// pooledParts holds parts' storage, returned to its pool on release.
	pooledParts *batchParts
	// chain, if set, links this append to the ones its writer queued
	// before and after it (QueueAppendBatch).
	chain *eventstore.QueueChain
	done  chan outcome // buffered: the appender never blocks on a caller
}

// pendingEvent is an encoded, not yet sealed record.
type pendingEvent struct {
	id       uuid.UUID
	callerID bool // the caller chose the ID, so it may repeat an earlier one
	rec      []byte
}

type outcome struct {
	res   eventstore.AppendResult
	batch []eventstore.AppendResult // opBatch: one result per part
	err   error
}

// newAppendRequest encodes the (validated) events into one buffer.
func newAppendRequest(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) *request {
	size := 0
	for i := range events {
		size += encodedSize(stream, &events[i])
	}
	bp := pooledBuffer(size)
	r := &request{ctx: ctx, op: opAppend, stream: stream, expected: expected, size: size, buf: bp, done: make(chan outcome, 1)}
	*bp = r.encode(*bp, make([]pendingEvent, len(events)), events)
	return r
}

// pooledBuffer returns a buffer from the pool with room for size bytes.
func pooledBuffer(size int) *[]byte {
	bp := encodeBuffers.Get().(*[]byte)
	if cap(*bp) < size {
		*bp = make([]byte, 0, size)
	}
	*bp = (*bp)[:0]
	return bp
}

// encode appends the records of events for r's stream to buf, which has
// room for them (it must not grow: the records are slices of it), and
// makes pend, one per event, r's events.
func (r *request) encode(buf []byte, pend []pendingEvent, events []eventstore.EventData) []byte {
	var fresh []*uuid.UUID
	for i := range events {
		p := &pend[i]
		p.id, p.callerID = events[i].ID, events[i].ID != uuid.Nil
		if !p.callerID {
			fresh = append(fresh, &p.id)
		}
	}
	randomIDs(fresh)
	for i := range events {
		e := &events[i]
		p := &pend[i]
		start := len(buf)
		buf = encodeRecord(buf, r.stream, p.id, e)
		p.rec = buf[start:len(buf):len(buf)]
	}
	r.events = pend
	return buf
}

// encodeBuffers recycles the buffers appends are encoded into: a bulk
// append's records fill hundreds of kilobytes, and fresh memory costs page
// faults and zeroing on every append.
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuffer keeps one huge append from pinning its buffer forever.
const maxPooledBuffer = 4 << 20

// release returns the request's encoded records to the pool; the appender
// calls it once the batch holds its own copy (or the request failed).
func (r *request) release() {
	for _, p := range r.parts {
		p.release()
	}
	if r.pooledParts != nil {
		r.pooledParts.recycle()
		r.pooledParts, r.parts = nil, nil
	}
	if r.buf == nil {
		r.events = nil // a batch's part: its records are in the batch's buffer
		return
	}
	if cap(*r.buf) <= maxPooledBuffer {
		encodeBuffers.Put(r.buf)
	}
	r.buf, r.events = nil, nil
}
