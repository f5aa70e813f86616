package dunning

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

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
// flushed at once: as one multi-stream append where the store has it
// (one synced commit, $all in staging order), else concurrently, which
// lets the store's group commit put them in few synced batches.

type batch struct {
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	// invoices are the invoices whose decisions the batch carries.
	invoices map[string]bool
}

var metadata = domain.EncodeMetadata(domain.Metadata{})

// stage adds one event to its stream's pending append.
func (e *Engine) stage(stream, invoiceID string, version int, id uuid.UUID, ev domain.Event) {
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
		if version > 0 {
			exp = eventstore.Exact(uint64(version - 1))
		}
		b = &batch{stream: stream, expected: exp, invoices: map[string]bool{}}
		e.outbox[stream] = b
		e.order = append(e.order, b)
	}
	b.invoices[invoiceID] = true
	b.events = append(b.events, eventstore.EventData{ID: id, Type: typ, ContentType: eventstore.ContentTypeJSON, Data: data, Metadata: metadata})
}

// emit writes decided events: each is applied to the engine's memory at
// once and staged for its stream. Event IDs are deterministic: an attempt
// is "<stream>/attempt/<n>", every other event "<stream>@<revision>", so
// a decision taken again after a crash, at the same revision, appends
// nothing new.
func (e *Engine) emit(inv *invoice, evs []domain.Event) {
	for _, ev := range evs {
		stream := ev.StreamName()
		var version int
		switch {
		case stream == domain.InvoiceStream(inv.id):
			version = inv.agg.Version
		case strings.HasPrefix(stream, "subscription-"):
			version = e.st.subscription(strings.TrimPrefix(stream, "subscription-")).Version
		default:
			e.log.Error("dunning: decision for an unexpected stream", "stream", stream, "type", ev.EventType())
			continue
		}
		id := eventID(stream + "@" + strconv.Itoa(version))
		if a, ok := ev.(domain.PaymentAttempted); ok {
			id = eventID(stream, "attempt", strconv.Itoa(a.AttemptNumber))
		}
		e.stage(stream, inv.id, version, id, ev)
		e.apply(ev)
		e.stats.Events++
	}
}

// pending counts staged streams.
func (e *Engine) pending() int { return len(e.order) }

// flush writes every staged batch and waits for it.
func (e *Engine) flush(ctx context.Context) error {
	if err := e.flushAsync(ctx); err != nil {
		return err
	}
	return e.join(ctx)
}

// flight is one flush in progress. Its goroutine only appends; what the
// outcome means for the engine's memory (re-reading streams after a
// conflict) is done by join, on the engine's goroutine.
type flight struct {
	done      chan struct{}
	err       error
	conflicts []*batch // refused for a wrong expected revision
	appends   int
	started   time.Time
}

// flushAsync starts writing the staged batches and returns; the engine
// goes on deciding while they are appended. At most one flush is in
// flight: a stream's next batch expects the revision its previous batch
// leaves, so it must not be sent before that batch is written.
//
// Within a flush the order is the domain's: first the subscriptions' and
// then the invoices' batches, each phase as one multi-stream append (or
// concurrently on a store without it), so that many streams share one
// synced write. A decision
// re-taken after a crash between the phases finds the subscription
// already changed and repeats nothing, while the invoice's decision, not
// yet recorded, is still pending and is taken again.
func (e *Engine) flushAsync(ctx context.Context) error {
	if err := e.join(ctx); err != nil {
		return err
	}
	if len(e.order) == 0 {
		return nil
	}
	var first, second []*batch
	for _, b := range e.order {
		if strings.HasPrefix(b.stream, "invoice-") {
			second = append(second, b)
		} else {
			first = append(first, b)
		}
	}
	e.order, e.outbox = nil, map[string]*batch{}
	f := &flight{done: make(chan struct{}), started: time.Now()}
	e.inflight = f
	go func() { // joined by join, which every driver calls before returning
		defer close(f.done)
		tainted := map[string]bool{}
		if f.err = e.appendAll(ctx, first, f, tainted); f.err != nil {
			return
		}
		kept := second[:0]
		for _, b := range second {
			if tainted[strings.TrimPrefix(b.stream, "invoice-")] {
				f.conflicts = append(f.conflicts, b) // not written: re-read it
			} else {
				kept = append(kept, b)
			}
		}
		f.err = e.appendAll(ctx, kept, f, nil)
	}()
	return nil
}

// join waits for the flush in flight and re-reads every stream whose
// batch was refused or not written, so that the engine decides again
// from what the ledger really holds. Any other failure stops the engine;
// a restart rebuilds its memory from the ledger.
func (e *Engine) join(ctx context.Context) error {
	f := e.inflight
	if f == nil {
		return nil
	}
	<-f.done
	e.inflight = nil
	e.stats.Flushes++
	e.stats.Appends += f.appends
	e.stats.FlushTime += time.Since(f.started)
	if f.err != nil {
		return f.err
	}
	for _, b := range f.conflicts {
		e.log.Info("dunning: concurrent write; re-reading stream", "stream", b.stream)
		if err := e.reload(ctx, b.stream); err != nil {
			return err
		}
		for id := range b.invoices {
			if err := e.reload(ctx, domain.InvoiceStream(id)); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendAll appends batches; batches refused for a conflict are noted in
// f, and their invoices added to tainted. A store that appends to many
// streams atomically (eventstore.BatchAppender, the embedded store) gets
// them as one multi-stream append in staging order: one synced commit,
// and the same $all order run to run. Other stores get them concurrently.
func (e *Engine) appendAll(ctx context.Context, batches []*batch, f *flight, tainted map[string]bool) error {
	if len(batches) == 0 {
		return nil
	}
	var errs []error
	if _, ok := e.store.(eventstore.BatchAppender); ok {
		errs = e.appendBatched(ctx, batches)
	} else {
		errs = e.appendConcurrently(ctx, batches)
	}
	f.appends += len(batches)
	for i, err := range errs {
		if err == nil {
			continue
		}
		b := batches[i]
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return fmt.Errorf("dunning: append to %s: %w", b.stream, err)
		}
		f.conflicts = append(f.conflicts, b)
		for id := range b.invoices {
			if tainted != nil {
				tainted[id] = true
			}
		}
	}
	return nil
}

// appendBatched writes batches as one atomic multi-stream append. A
// batch refused for a wrong expected revision refuses the whole append,
// so it is set aside with its error and the rest is sent again, until
// the rest is written or fails otherwise.
func (e *Engine) appendBatched(ctx context.Context, batches []*batch) []error {
	errs := make([]error, len(batches))
	idx := make([]int, len(batches)) // position in batches of each request
	reqs := make([]eventstore.AppendRequest, len(batches))
	for i, b := range batches {
		idx[i] = i
		reqs[i] = eventstore.AppendRequest{Stream: b.stream, Expected: b.expected, Events: b.events}
	}
	for len(reqs) > 0 {
		_, err := eventstore.AppendAll(ctx, e.store, reqs)
		if err == nil {
			return errs
		}
		var be *eventstore.BatchError
		if !errors.As(err, &be) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			for _, i := range idx {
				errs[i] = err
			}
			return errs
		}
		errs[idx[be.Index]] = be.Err
		idx = append(idx[:be.Index], idx[be.Index+1:]...)
		reqs = append(reqs[:be.Index], reqs[be.Index+1:]...)
	}
	return errs
}

// appendConcurrently writes batches with one append each, several at
// once, which lets the store's group commit share syncs among them.
func (e *Engine) appendConcurrently(ctx context.Context, batches []*batch) []error {
	errs := make([]error, len(batches))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.appendConcurrency, len(batches)) {
		wg.Go(func() {
			for i := range work {
				b := batches[i]
				_, errs[i] = e.store.Append(ctx, b.stream, b.expected, b.events...)
			}
		})
	}
	for i := range batches {
		work <- i
	}
	close(work)
	wg.Wait()
	return errs
}
