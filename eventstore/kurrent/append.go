package kurrent

import (
	"context"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// Append implements eventstore.Store. Every event is sent with an explicit
// ID, so that a retry after ErrUnavailable (when the first attempt may or
// may not have been written) is recognised by the server as a repeat.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := validateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		data[i] = toEventData(e)
	}
	f := failure{op: "append", stream: stream, expected: expected}
	var res *esdb.WriteResult
	err := s.do(ctx, f, func(c *esdb.Client) error {
		var err error
		res, err = c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, data...)
		return err
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	out := eventstore.AppendResult{
		NextExpectedRevision: res.NextExpectedVersion,
		Position:             eventstore.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition},
	}
	if out.Position == (eventstore.Position{}) {
		// The server answers a repeated (idempotent) append without a
		// position; the contract returns the earlier append's, which is the
		// position of the event at the reported revision.
		pos, err := s.positionOf(ctx, stream, out.NextExpectedRevision)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		out.Position = pos
	}
	return out, nil
}

// positionOf reads the global position of one event of stream.
func (s *Store) positionOf(ctx context.Context, stream string, rev uint64) (eventstore.Position, error) {
	evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: rev, Count: 1})
	if err != nil {
		return eventstore.Position{}, err
	}
	if len(evs) == 0 || evs[0].Revision != rev {
		return eventstore.Position{}, &eventstore.Error{Op: "append", Stream: stream, Detail: "the appended event is no longer readable", Err: eventstore.ErrStreamNotFound}
	}
	return evs[0].Position, nil
}
