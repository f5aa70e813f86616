package dunning

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// The outbox holds the engine's decisions until they are flushed: every
// event is applied to the engine's memory when decided, and staged for
// its stream. Consecutive decisions on one stream become one atomic
// append with the expected revision the stream had before them, so a
// decision is either all written or not at all, and a concurrent writer
// makes the append fail instead of being overwritten. Many streams are
// flushed at once, which lets the store's group commit put them in few
// synced batches.

type batch struct {
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
}

var metadata = domain.EncodeMetadata(domain.Metadata{})

// stage adds one event to its stream's pending append.
func (e *Engine) stage(stream string, prevRev uint64, prevExists bool, id uuid.UUID, ev domain.Event) {
	typ, data, err := domain.Encode(ev)
	if err != nil {
		// The catalogue's types always encode; this is a programming error
		// and is reported, not hidden.
		e.log.Error("dunning: cannot encode event", "type", ev.EventType(), "err", err)
		return
	}
	b := e.outbox[stream]
	if b == nil {
		exp := eventstore.NoStream
		if prevExists {
			exp = eventstore.Exact(prevRev)
		}
		b = &batch{stream: stream, expected: exp}
		e.outbox[stream] = b
		e.order = append(e.order, b)
	}
	b.events = append(b.events, eventstore.EventData{ID: id, Type: typ, ContentType: eventstore.ContentTypeJSON, Data: data, Metadata: metadata})
}

// emitInvoice decides one event of inv's stream; key makes its ID.
func (e *Engine) emitInvoice(inv *invoice, key string, ev domain.Event) {
	stream := domain.InvoiceStream(inv.id)
	e.stage(stream, inv.rev, inv.seen, eventID(inv.id, key), ev)
	rev := inv.rev + 1
	if !inv.seen {
		rev = 0
	}
	e.apply(ev, stream, rev)
	e.stats.Events++
}

// emitSubscription decides a subscription event caused by inv's run.
func (e *Engine) emitSubscription(inv *invoice, ev domain.Event) {
	if ev == nil {
		return
	}
	sub := e.st.subs[inv.fin.SubscriptionID]
	stream := domain.SubscriptionStream(sub.id)
	e.stage(stream, sub.rev, true, eventID(inv.id, "subscription", ev.EventType(), subReason(ev)), ev)
	e.apply(ev, stream, sub.rev+1)
	e.stats.Events++
}

func subReason(ev domain.Event) string {
	switch v := ev.(type) {
	case domain.SubscriptionPaused:
		return v.Reason
	case domain.SubscriptionResumed:
		return v.Reason
	case domain.SubscriptionCanceled:
		return v.Reason
	}
	return ""
}

// pending counts staged streams.
func (e *Engine) pending() int { return len(e.order) }

// flush appends every staged batch, concurrently. A batch refused for a
// wrong expected revision means another writer got there first: the
// stream is re-read and its state rebuilt, and the engine decides again
// from what is really recorded. Any other failure stops the engine; a
// restart rebuilds its memory from the ledger.
func (e *Engine) flush(ctx context.Context) error {
	if len(e.order) == 0 {
		return nil
	}
	batches := e.order
	e.order, e.outbox = nil, map[string]*batch{}
	errs := make([]error, len(batches))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.appendConcurrency, len(batches)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				b := batches[i]
				_, errs[i] = e.store.Append(ctx, b.stream, b.expected, b.events...)
			}
		}()
	}
	for i := range batches {
		work <- i
	}
	close(work)
	wg.Wait()
	e.stats.Appends += len(batches)
	for i, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return fmt.Errorf("dunning: append to %s: %w", batches[i].stream, err)
		}
		e.log.Info("dunning: concurrent write; re-reading stream", "stream", batches[i].stream)
		if err := e.reload(ctx, batches[i].stream); err != nil {
			return err
		}
	}
	return nil
}
