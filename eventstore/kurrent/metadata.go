package kurrent

import (
	"context"
	"errors"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// SetStreamMetadata implements eventstore.Store. KurrentDB keeps metadata
// as events of the stream's metadata stream ("$$" + stream), and expected
// is checked against that stream's revision, as the embedded store does.
// MaxAge travels in whole seconds, so a fractional one is refused rather
// than silently rounded.
func (s *Store) SetStreamMetadata(ctx context.Context, stream string, expected eventstore.ExpectedRevision, meta eventstore.StreamMetadata) error {
	if err := validateMetadata(stream, meta); err != nil {
		return err
	}
	if meta.MaxAge != nil && *meta.MaxAge%time.Second != 0 {
		return eventstore.Invalid("set metadata", stream, "MaxAge", "KurrentDB keeps max-age in whole seconds")
	}
	var m esdb.StreamMetadata
	if meta.MaxCount != nil {
		m.SetMaxCount(*meta.MaxCount)
	}
	if meta.MaxAge != nil {
		m.SetMaxAge(*meta.MaxAge)
	}
	if meta.TruncateBefore != nil {
		m.SetTruncateBefore(*meta.TruncateBefore)
	}
	f := failure{op: "set metadata", stream: stream, expected: expected}
	return s.do(ctx, f, func(c *esdb.Client) error {
		_, err := c.SetStreamMetadata(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}, m)
		return err
	})
}

// StreamMetadata implements eventstore.Store: the newest event of the
// metadata stream, or the zero value when there is none.
func (s *Store) StreamMetadata(ctx context.Context, stream string) (eventstore.StreamMetadata, error) {
	if err := validateStream("read metadata", stream); err != nil {
		return eventstore.StreamMetadata{}, err
	}
	var got *esdb.StreamMetadata
	err := s.do(ctx, failure{op: "read metadata", stream: stream}, func(c *esdb.Client) error {
		var err error
		// The client's default reads the oldest metadata event; the
		// current one is the newest.
		got, err = c.GetStreamMetadata(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}})
		return err
	})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return eventstore.StreamMetadata{}, nil
	}
	if err != nil {
		return eventstore.StreamMetadata{}, err
	}
	var out eventstore.StreamMetadata
	if v := got.MaxCount(); v != nil {
		n := *v
		out.MaxCount = &n
	}
	if v := got.MaxAge(); v != nil {
		d := *v
		out.MaxAge = &d
	}
	if v := got.TruncateBefore(); v != nil {
		n := *v
		out.TruncateBefore = &n
	}
	return out, nil
}
