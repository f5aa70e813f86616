package migration

import (
	"context"
	"errors"
	"fmt"

	"github.com/recoupledger/recoup/eventstore"
)

// streamStates gives every copied stream the state it has in the source:
// tombstoned, soft-deleted, and its metadata. Each step is idempotent, so
// a restart simply redoes the phase.
func (c *copier) streamStates(ctx context.Context) error {
	c.report.Streams = len(c.order)
	for i, stream := range c.order {
		if err := c.streamState(ctx, stream); err != nil {
			return err
		}
		if (i+1)%100 == 0 || i+1 == len(c.order) {
			c.progress(Progress{Phase: "streams", Position: c.head, Events: c.report.Events, Streams: i + 1})
		}
	}
	return nil
}

func (c *copier) streamState(ctx context.Context, stream string) error {
	_, err := c.src.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, FromEnd: true, Count: 1})
	switch {
	case errors.Is(err, eventstore.ErrStreamDeleted):
		err := c.dst.Tombstone(ctx, stream, eventstore.Any)
		if err != nil && !errors.Is(err, eventstore.ErrStreamDeleted) {
			return fmt.Errorf("tombstone %s: %w", stream, err)
		}
		c.report.Tombstoned++
		return nil // a tombstoned stream has no metadata left to copy
	case errors.Is(err, eventstore.ErrStreamNotFound):
		// Events in $all but none readable: soft-deleted.
		_, derr := c.dst.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, FromEnd: true, Count: 1})
		if derr == nil {
			if err := c.dst.Delete(ctx, stream, eventstore.Any); err != nil {
				return fmt.Errorf("delete %s: %w", stream, err)
			}
		} else if !errors.Is(derr, eventstore.ErrStreamNotFound) {
			return fmt.Errorf("read %s in the destination: %w", stream, derr)
		}
		c.report.Deleted++
	case err != nil:
		return fmt.Errorf("read %s in the source: %w", stream, err)
	}
	meta, err := c.src.StreamMetadata(ctx, stream)
	if err != nil {
		return fmt.Errorf("read the metadata of %s in the source: %w", stream, err)
	}
	if meta.MaxCount == nil && meta.MaxAge == nil && meta.TruncateBefore == nil {
		return nil
	}
	if err := c.dst.SetStreamMetadata(ctx, stream, eventstore.Any, meta); err != nil {
		return fmt.Errorf("copy the metadata of %s: %w", stream, err)
	}
	c.report.Metadata++
	return nil
}
