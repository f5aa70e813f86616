package kurrent

import (
	"context"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// Delete implements eventstore.Store: a soft delete, which KurrentDB
// records as a truncate-before in the stream's metadata.
func (s *Store) Delete(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	if err := validateStream("delete", stream); err != nil {
		return err
	}
	f := failure{op: "delete", stream: stream, expected: expected}
	return s.do(ctx, f, func(c *esdb.Client) error {
		_, err := c.DeleteStream(ctx, stream, esdb.DeleteStreamOptions{ExpectedRevision: toExpected(expected)})
		return err
	})
}

// Tombstone implements eventstore.Store: a hard delete; the stream can
// never be read or written again.
func (s *Store) Tombstone(ctx context.Context, stream string, expected eventstore.ExpectedRevision) error {
	if err := validateStream("tombstone", stream); err != nil {
		return err
	}
	f := failure{op: "tombstone", stream: stream, expected: expected}
	return s.do(ctx, f, func(c *esdb.Client) error {
		_, err := c.TombstoneStream(ctx, stream, esdb.TombstoneStreamOptions{ExpectedRevision: toExpected(expected)})
		return err
	})
}
