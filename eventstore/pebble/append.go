package pebble

import (
	"context"
	"fmt"

	"github.com/recoupledger/recoup/eventstore"
)

// Append implements eventstore.Store. The input is validated and encoded
// here, in the caller's goroutine; the appender then checks the expected
// revision, assigns revisions and positions and commits.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, s.opts.MaxEventSize, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.submit(ctx, newAppendRequest(ctx, stream, expected, events))
}

// Delete implements eventstore.Store. A soft-deleted stream reads as not
// found; the next append revives it, continuing its revisions.
func (s *Store) Delete(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	return s.deleteOp(ctx, opDelete, stream, expected)
}

// Tombstone implements eventstore.Store.
func (s *Store) Tombstone(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	return s.deleteOp(ctx, opTombstone, stream, expected)
}

func (s *Store) deleteOp(ctx context.Context, op opKind, stream string, expected eventstore.ExpectedRevision) error {
	if err := eventstore.ValidateStream(opName(op), stream); err != nil {
		return err
	}
	_, err := s.submit(ctx, &request{ctx: ctx, op: op, stream: stream, expected: expected, done: make(chan outcome, 1)})
	return err
}

// SetStreamMetadata implements eventstore.Store. The expected revision is
// checked against the number of earlier metadata writes (NoStream: never
// written; Exact(n): written n+1 times), as KurrentDB checks it against the
// stream's metadata stream. A soft delete counts as a metadata write.
func (s *Store) SetStreamMetadata(ctx context.Context, stream string, expected eventstore.ExpectedRevision, meta eventstore.StreamMetadata) error {
	if err := eventstore.ValidateMetadata(stream, meta); err != nil {
		return err
	}
	_, err := s.submit(ctx, &request{ctx: ctx, op: opSetMeta, stream: stream, expected: expected, meta: meta, done: make(chan outcome, 1)})
	return err
}

// StreamMetadata implements eventstore.Store.
func (s *Store) StreamMetadata(ctx context.Context, stream string) (eventstore.StreamMetadata, error) {
	if err := eventstore.ValidateStream("read metadata", stream); err != nil {
		return eventstore.StreamMetadata{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.StreamMetadata{}, err
	}
	if err := s.enter("read metadata"); err != nil {
		return eventstore.StreamMetadata{}, err
	}
	defer s.life.RUnlock()
	snap := s.db.NewSnapshot()
	defer snap.Close()
	h, err := getHead(snap, stream)
	if err != nil {
		return eventstore.StreamMetadata{}, err
	}
	if h.state == stateTombstoned {
		return eventstore.StreamMetadata{}, &eventstore.Error{Op: "read metadata", Stream: stream, Err: eventstore.ErrStreamDeleted}
	}
	m, err := getMeta(snap, stream)
	if err != nil {
		return eventstore.StreamMetadata{}, err
	}
	return m.public(), nil
}

// submit queues req for the appender and waits for its outcome. If ctx
// ends after the request was queued, the write may still happen: the
// error says the outcome is unknown, and a retry with the same event IDs
// is safe.
func (s *Store) submit(ctx context.Context, req *request) (eventstore.AppendResult, error) {
	o := s.submitOutcome(ctx, req)
	return o.res, o.err
}

// submitOutcome is submit returning the whole outcome (a batch's results).
func (s *Store) submitOutcome(ctx context.Context, req *request) outcome {
	if o, ok := s.queue(ctx, req); !ok {
		return o
	}
	return s.await(ctx, req)
}

// queue hands req to the appender; ok is false (with the error in o) if it
// was not queued.
func (s *Store) queue(ctx context.Context, req *request) (o outcome, ok bool) {
	op := opName(req.op)
	if err := ctx.Err(); err != nil {
		return outcome{err: fmt.Errorf("%s %s: %w", op, req.stream, err)}, false
	}
	if err := s.enter(op); err != nil {
		return outcome{err: err}, false
	}
	select {
	case s.reqs <- req:
		s.life.RUnlock()
		return outcome{}, true
	case <-ctx.Done():
		s.life.RUnlock()
		return outcome{err: fmt.Errorf("%s %s: %w", op, req.stream, ctx.Err())}, false
	}
}

// await waits for the outcome of a queued request.
func (s *Store) await(ctx context.Context, req *request) outcome {
	select {
	case o := <-req.done:
		return o
	case <-ctx.Done():
		return outcome{err: fmt.Errorf("%s %s: outcome unknown: %w", opName(req.op), req.stream, ctx.Err())}
	}
}
