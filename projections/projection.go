package projections

import (
	"context"

	"github.com/recoupledger/recoup/eventstore"
)

// Projection is a read side built from the events of $all.
type Projection interface {
	// Name identifies the projection in checkpoints, metrics and
	// `recoup rebuild NAME`.
	Name() string
	// Checkpoint returns the position of the last event applied; ok is
	// false when the projection has applied nothing.
	Checkpoint(ctx context.Context) (pos eventstore.Position, ok bool, err error)
	// Apply handles events, all after the checkpoint and in $all order, and
	// stores the position of the last one as the new checkpoint atomically
	// with its writes. On error nothing of the batch is visible. The
	// events and the memory they reference (strings included) belong to
	// the caller and are valid only until Apply returns: the Runner
	// reuses them for later batches, so a projection copies what it keeps.
	Apply(ctx context.Context, events []eventstore.RecordedEvent) error
	// Reset deletes everything the projection wrote, its checkpoint
	// included, so that the next run rebuilds it from the start.
	Reset(ctx context.Context) error
}
