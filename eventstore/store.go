package eventstore

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Store is an event store with KurrentDB semantics. Implementations:
// eventstore/pebble (embedded, the default) and eventstore/kurrent.
// Every implementation passes eventstore/storetest.
type Store interface {
	// Append writes events to stream atomically if the stream's current
	// revision matches expected. Events whose IDs were already appended to
	// the same stream (in the same order, as a whole earlier append) are not
	// written again; the earlier result is returned. Input is checked with
	// ValidateAppend first (at least one event; see there), and nothing of
	// a refused append is written. If ctx ends after the append was handed
	// over, the outcome is unknown; retrying with the same event IDs is safe.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads events of one stream. It returns ErrStreamNotFound for
	// a stream that has no events (or was soft-deleted) and ErrStreamDeleted
	// for a tombstoned stream.
	ReadStream(ctx context.Context, stream string, opts ReadStreamOptions) ([]RecordedEvent, error)

	// ReadAll reads the global log, ordered by Position.
	ReadAll(ctx context.Context, opts ReadAllOptions) ([]RecordedEvent, error)

	// SubscribeToAll starts a catch-up subscription to the global log: it
	// delivers every matching event after opts.From (exclusive), then goes
	// live. It emits checkpoints every opts.CheckpointInterval scanned events;
	// a checkpoint never passes an event not yet delivered, so resuming from
	// it loses nothing. From End delivers only what is appended later.
	SubscribeToAll(ctx context.Context, opts SubscribeOptions) (Subscription, error)

	// StreamMetadata returns the stream's metadata (zero value if never set).
	StreamMetadata(ctx context.Context, stream string) (StreamMetadata, error)
	// SetStreamMetadata replaces the stream's metadata. As in KurrentDB,
	// expected is checked against the metadata's own revision: NoStream
	// when it was never written, Exact(n) after n+1 writes (a soft delete
	// counts as one).
	SetStreamMetadata(ctx context.Context, stream string, expected ExpectedRevision, meta StreamMetadata) error

	// Delete soft-deletes a stream: reads return ErrStreamNotFound, and a
	// later append (NoStream or Any) recreates it, continuing from the next
	// revision; the deleted events stay hidden from stream reads (not from
	// $all). Deleting a stream with no visible events is ErrStreamNotFound
	// once expected is satisfied.
	Delete(ctx context.Context, stream string, expected ExpectedRevision) error
	// Tombstone hard-deletes a stream: it can never be read or written again.
	Tombstone(ctx context.Context, stream string, expected ExpectedRevision) error

	// Close releases resources; pending appends are either completed or
	// fail, never half-written.
	Close() error
}

// Content types of event data.
const (
	ContentTypeJSON   = "application/json"
	ContentTypeBinary = "application/octet-stream"
)

// MaxEventSize is the default limit on one event's data plus metadata.
const MaxEventSize = 1 << 20

// EventData is an event to append.
type EventData struct {
	// ID identifies the event; set it deterministically where a retried
	// command could send the same event twice. A zero ID gets a random one.
	ID          uuid.UUID
	Type        string
	ContentType string // ContentTypeJSON (default when empty) or ContentTypeBinary
	Data        []byte
	Metadata    []byte
}

// RecordedEvent is an event as stored.
type RecordedEvent struct {
	ID          uuid.UUID
	Stream      string
	Revision    uint64
	Position    Position
	Type        string
	ContentType string
	Data        []byte
	Metadata    []byte
	Created     time.Time // record time, set by the store
}

// Position is a place in the global log. Positions increase monotonically
// but are not contiguous. Commit and Prepare follow KurrentDB; the embedded
// store sets both to the same value.
type Position struct {
	Commit  uint64
	Prepare uint64
}

// Start and End are the ends of the global log.
var (
	Start = Position{}
	End   = Position{Commit: ^uint64(0), Prepare: ^uint64(0)}
)

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	if p.Commit != q.Commit {
		return p.Commit < q.Commit
	}
	return p.Prepare < q.Prepare
}

// AppendResult reports where an append landed.
type AppendResult struct {
	// NextExpectedRevision is the revision of the last event in the stream.
	NextExpectedRevision uint64
	// Position is the global position of the last appended event.
	Position Position
}

// Direction of a read.
type Direction int

const (
	Forwards Direction = iota
	Backwards
)

// ReadStreamOptions controls ReadStream. From is inclusive; with
// Backwards and FromEnd, reading starts at the last event.
type ReadStreamOptions struct {
	Direction Direction
	From      uint64
	FromEnd   bool
	// Count limits the number of events returned; 0 means no limit.
	Count uint64
}

// ReadAllOptions controls ReadAll. Forwards reads start at From
// (inclusive); Backwards reads return events strictly before From
// (use End for the head).
type ReadAllOptions struct {
	Direction Direction
	From      Position
	Count     uint64 // 0 means no limit
}

// FilterKind says what a Filter's prefixes match.
type FilterKind int

const (
	FilterNone FilterKind = iota
	FilterEventType
	FilterStreamName
)

// Filter selects events of a subscription by event type or stream name
// prefix, as KurrentDB's server-side filters do.
type Filter struct {
	Kind     FilterKind
	Prefixes []string
}

// Match reports whether e passes the filter.
func (f Filter) Match(stream, eventType string) bool {
	var s string
	switch f.Kind {
	case FilterNone:
		return true
	case FilterEventType:
		s = eventType
	case FilterStreamName:
		s = stream
	}
	for _, p := range f.Prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// DefaultCheckpointInterval is the number of scanned events between
// checkpoints when SubscribeOptions.CheckpointInterval is 0.
const DefaultCheckpointInterval = 1000

// SubscribeOptions controls SubscribeToAll.
type SubscribeOptions struct {
	// From is exclusive: the first event delivered is after it. Use
	// FromStart to receive the very first event.
	From      Position
	FromStart bool
	Filter    Filter
	// CheckpointInterval is the number of scanned events between checkpoint
	// messages (0 means DefaultCheckpointInterval).
	CheckpointInterval int
	// Reuse allows the store to reuse the memory of a delivered event (the
	// RecordedEvent, its strings and byte slices) once Recv is called
	// again: the subscriber copies what it keeps. A catch-up over millions
	// of events then need not allocate for each. A store may ignore it.
	Reuse bool
}

// Subscription delivers events and checkpoints in order.
type Subscription interface {
	// Recv blocks until the next message, the context ends or the
	// subscription is closed (ErrSubscriptionClosed).
	Recv(ctx context.Context) (SubscriptionMessage, error)
	Close() error
}

// SubscriptionMessage carries either an event or a checkpoint.
type SubscriptionMessage struct {
	Event      *RecordedEvent
	Checkpoint *Position
}

// StreamMetadata is the subset of KurrentDB stream metadata Recoup uses.
type StreamMetadata struct {
	// MaxCount keeps only the newest MaxCount events visible to stream reads.
	MaxCount *uint64
	// MaxAge hides events older than MaxAge from stream reads.
	MaxAge *time.Duration
	// TruncateBefore hides events with a lower revision (set by soft delete).
	TruncateBefore *uint64
}

// QueueChain links the appends one writer queues one after another on a
// store that applies queued appends in order (the embedded store's
// QueueAppendBatch): once the store refuses one of them, it refuses every
// later one of the chain, so the writer's later append is never written
// without an earlier one. Only the store breaks it, from the goroutine
// that applies appends in queue order. Broken may be read from any
// goroutine: a writer sees a refusal as soon as the store has made it,
// before the refused append is answered (which waits for the commit of
// the appends applied with it).
type QueueChain struct{ broken atomic.Pointer[error] }

// Break marks the chain refused at err (the first refusal is kept).
func (c *QueueChain) Break(err error) {
	if err != nil {
		c.broken.CompareAndSwap(nil, &err)
	}
}

// Broken is the refusal that broke the chain, nil while none has.
func (c *QueueChain) Broken() error {
	if p := c.broken.Load(); p != nil {
		return *p
	}
	return nil
}
