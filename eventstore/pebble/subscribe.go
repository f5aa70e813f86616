package pebble

import (
	"context"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
)

// Catch-up reads scan at most this many records, or bytes, per refill.
const (
	subscribeScanRecords = 4096
	subscribeScanBytes   = 4 << 20
	maxSlab              = 512
)

// SubscribeToAll implements eventstore.Store. A subscription owns no
// goroutine: Recv reads the global log itself, in batches, after the last
// position it scanned, and when it has caught up waits for the appender's
// commit broadcast. Catching up and live delivery are the same loop, so
// nothing is lost or repeated at the switch, and a slow subscriber only
// falls behind: appends never wait for it. From End subscribes to what is
// committed after the call.
func (s *Store) SubscribeToAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if err := validateSubscribe(opts); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.enter("subscribe"); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	sub := &subscription{s: s, filter: opts.Filter, interval: opts.CheckpointInterval, cursor: opts.From.Commit, done: make(chan struct{}),
		reuse: opts.Reuse}
	sub.ar.keep = opts.Reuse
	switch {
	case opts.FromStart:
		sub.cursor = 0
	case opts.From == eventstore.End:
		sub.cursor = s.lastPos.Load()
	}
	if sub.interval == 0 {
		sub.interval = eventstore.DefaultCheckpointInterval
	}
	return sub, nil
}

func validateSubscribe(opts eventstore.SubscribeOptions) error {
	if opts.CheckpointInterval < 0 {
		return eventstore.Invalid("subscribe", "", "CheckpointInterval", "must not be negative")
	}
	switch opts.Filter.Kind {
	case eventstore.FilterNone:
	case eventstore.FilterEventType, eventstore.FilterStreamName:
		if len(opts.Filter.Prefixes) == 0 {
			return eventstore.Invalid("subscribe", "", "Filter.Prefixes", "a filter needs at least one prefix")
		}
	default:
		return eventstore.Invalid("subscribe", "", "Filter.Kind", fmt.Sprintf("unknown kind %d", opts.Filter.Kind))
	}
	return nil
}

type subscription struct {
	s        *Store
	filter   eventstore.Filter
	interval int
	// cursor is the position of the last scanned record; the next refill
	// starts after it.
	cursor          uint64
	sinceCheckpoint int
	msgs            []eventstore.SubscriptionMessage
	next            int
	slab            []eventstore.RecordedEvent
	slabCap         int
	ar              arena
	// reuse (SubscribeOptions.Reuse): each refill overwrites the events,
	// slab and arena blocks of the previous one, which Recv has all
	// delivered before it refills.
	reuse     bool
	done      chan struct{}
	closeOnce sync.Once
}

var errStoreClosed = fmt.Errorf("subscribe: %w: %w", eventstore.ErrSubscriptionClosed, eventstore.ErrClosed)

// Recv implements eventstore.Subscription. It is meant for one goroutine;
// Close may be called from any.
func (sub *subscription) Recv(ctx context.Context) (eventstore.SubscriptionMessage, error) {
	for {
		if sub.next < len(sub.msgs) {
			m := sub.msgs[sub.next]
			sub.msgs[sub.next] = eventstore.SubscriptionMessage{}
			sub.next++
			return m, nil
		}
		select {
		case <-sub.done:
			return eventstore.SubscriptionMessage{}, eventstore.ErrSubscriptionClosed
		default:
		}
		if err := ctx.Err(); err != nil {
			return eventstore.SubscriptionMessage{}, err
		}
		wake := sub.s.commits.wait()
		if err := sub.refill(ctx); err != nil {
			return eventstore.SubscriptionMessage{}, err
		}
		if len(sub.msgs) > 0 {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return eventstore.SubscriptionMessage{}, ctx.Err()
		case <-sub.done:
			return eventstore.SubscriptionMessage{}, eventstore.ErrSubscriptionClosed
		case <-sub.s.closing:
			return eventstore.SubscriptionMessage{}, errStoreClosed
		}
	}
}

// Close implements eventstore.Subscription.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.done) })
	return nil
}

// refill scans the next batch of the global log after the cursor into
// msgs: matching events and, every interval scanned records, a checkpoint.
func (sub *subscription) refill(ctx context.Context) error {
	sub.msgs, sub.next = sub.msgs[:0], 0
	if sub.reuse {
		sub.slab = sub.slab[:0]
		sub.ar.rewind()
	}
	// Only synced events are delivered: Pebble shows an applied batch
	// before its WAL sync completes.
	last := sub.s.lastPos.Load()
	if sub.cursor >= last {
		return nil
	}
	s := sub.s
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return errStoreClosed
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{
		LowerBound: globalKey(nil, sub.cursor+1),
		UpperBound: globalKey(nil, last+1),
	})
	if err != nil {
		return storageError("subscribe", "", err)
	}
	defer it.Close()
	bytes := 0
	for valid, n := it.First(), 0; valid && n < subscribeScanRecords && bytes < subscribeScanBytes; valid, n = it.Next(), n+1 {
		v, pos, err := viewAt(it)
		if err != nil {
			return err
		}
		sub.cursor = pos
		if sub.filter.Match(bytesString(v.stream), bytesString(v.typ)) {
			e := sub.event()
			v.materialize(&sub.ar, pos, e)
			sub.msgs = append(sub.msgs, eventstore.SubscriptionMessage{Event: e})
			bytes += len(v.data) + len(v.metadata)
		}
		if sub.sinceCheckpoint++; sub.sinceCheckpoint >= sub.interval {
			sub.sinceCheckpoint = 0
			cp := eventstore.Position{Commit: pos, Prepare: pos}
			sub.msgs = append(sub.msgs, eventstore.SubscriptionMessage{Checkpoint: &cp})
		}
	}
	if err := it.Error(); err != nil {
		return storageError("subscribe", "", err)
	}
	return nil
}

// event returns a fresh event from the current slab. Slabs never grow in
// place (pointers into them are handed out); a full one is replaced by a
// new one, twice as large up to maxSlab, so a live subscription receiving
// one event at a time does not allocate a large slab per event. With
// reuse, refill empties the slab instead of dropping it, and it grows up
// to a whole refill's events, after which it is never replaced.
func (sub *subscription) event() *eventstore.RecordedEvent {
	if len(sub.slab) == cap(sub.slab) {
		limit := maxSlab
		if sub.reuse {
			limit = subscribeScanRecords
		}
		sub.slabCap = min(max(sub.slabCap*2, 8), limit)
		sub.slab = make([]eventstore.RecordedEvent, 0, sub.slabCap)
	}
	sub.slab = sub.slab[:len(sub.slab)+1]
	return &sub.slab[len(sub.slab)-1]
}
