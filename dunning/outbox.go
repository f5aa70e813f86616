package dunning

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
	// evs are the events whose data the flight encodes (encodeEvents),
	// index for index with events; nil where the data came encoded.
	evs []domain.Event
	// invoices are the invoices whose decisions the batch carries: almost
	// always one, so the first needs no map.
	invoices invoiceSet
	// recorded counts the events in the batch that another writer
	// recorded (Record), whether the batch began with them or the engine
	// staged it: such a batch is never dropped to a re-read (an accepted
	// fact is written or its flush fails).
	recorded int
	// written: the store confirmed the batch's append (noteWritten).
	written bool
}

var metadata = domain.EncodeMetadata(domain.Metadata{})

// stage adds one event to its stream's pending append.
func (e *Engine) stage(stream, invoiceID string, version int, id uuid.UUID, ev domain.Event) {
	b := e.outbox[stream]
	if b == nil {
		exp := eventstore.NoStream
		if version > 0 {
			exp = eventstore.Exact(uint64(version - 1))
		}
		b = e.newBatch(stream, exp)
		e.outbox[stream] = b
		e.order = append(e.order, b)
	}
	b.invoices.add(invoiceID)
	// Encoded by the flight that writes it (encodeEvents).
	b.events = append(b.events, eventstore.EventData{ID: id, Type: ev.EventType(), ContentType: eventstore.ContentTypeJSON, Metadata: metadata})
	b.evs = append(b.evs, ev)
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
		attempt := -1
		if a, ok := ev.(domain.PaymentAttempted); ok {
			attempt = a.AttemptNumber
		}
		id := e.decisionID(stream, version, attempt)
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
	// started and ended span the flight, from its start to the store's
	// answer (Stats.FlushTime).
	started, ended time.Time
	// refused is the batch whose append the store refused, if the flight
	// failed at one (FlushError names it).
	refused *batch
	// charges are the gateway charges whose attempts the flight writes.
	charges []UnrecordedCharge
	// written are the revisions recorded events took (see noteWritten).
	// last is the latest $all position written.
	last    eventstore.Position
	written []writtenRange
	// batches are the flight's batches, and enc encodes their events
	// (see encode.go); both are reused once it has landed.
	batches []*batch
	enc     *encoder
	reqs    []eventstore.AppendRequest // a queued flight's append
	// A queued flight (see flushAsync) closes queued once its append is
	// in the store's queue, or it gave up (notQueued): the next flight
	// queues only after it, so the store applies them in order.
	queuedMode bool
	queued     chan struct{}
	notQueued  bool
	// ctxEnded: the flight failed because its context ended.
	ctxEnded bool
}

// batchQueuer is a store that can queue a multi-stream append and return
// before it is written, applying appends in the order they were queued
// (the embedded store: pebble.Store.QueueAppendBatch).
type batchQueuer interface {
	QueueAppendBatch(ctx context.Context, chain *eventstore.QueueChain, reqs []eventstore.AppendRequest) (func() ([]eventstore.AppendResult, error), error)
}

// queuedFlights bounds the flushes a sole writer keeps in flight on a
// batchQueuer: enough for the store to gather the ones that queue up
// behind a slow sync into its next commit, few enough that the engine
// does not run far ahead of what is written.
const queuedFlights = 16

// flushAsync starts writing the staged batches and returns; the engine
// goes on deciding while they are appended. Normally at most one flush is
// in flight: a stream's next batch expects the revision its previous batch
// leaves, so it must not be sent before that batch is written. A sole
// writer (WithSoleWriter, once settled) on a store that applies queued
// appends in order (batchQueuer) keeps up to queuedFlights in flight:
// each flush queues its append behind the previous one's, which the store
// checks and writes first, so the next batch of a stream is still never
// written before the previous one. A refused queued flush stops the engine
// (see queueOneCommit and halt.go).
//
// Within a flush the order is the domain's: first the subscriptions' and
// then the invoices' batches. On a store with multi-stream appends both
// phases go in one atomic append (appendOneCommit), so no crash can fall
// between them; elsewhere each phase is appended concurrently, so that
// the store's group commit puts many streams in one synced write. A decision
// re-taken after a crash between the phases finds the subscription
// already changed and repeats nothing, while the invoice's decision, not
// yet recorded, is still pending and is taken again.
func (e *Engine) flushAsync(ctx context.Context) error {
	q, queued := e.store.(batchQueuer)
	queued = queued && e.cfg.soleWriter && e.settled
	var prev *flight
	if n := len(e.flights); queued && n > 0 && e.flights[n-1].queuedMode {
		if err := e.joinTo(ctx, queuedFlights-1); err != nil {
			return err
		}
		if n := len(e.flights); n > 0 {
			prev = e.flights[n-1]
		}
	} else if err := e.join(ctx); err != nil {
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
	// The map and the order are reused; the batches now belong to the
	// flight, and come back (recycle) once it has landed.
	clear(e.order)
	e.order = e.order[:0]
	clear(e.outbox)
	f := e.newFlight(queued)
	f.batches = append(append(f.batches, first...), second...)
	f.charges, e.charges = e.charges, f.charges
	e.flights = append(e.flights, f)
	go func() { // joined by join, which every driver calls before returning
		defer func() {
			// The failure is raised before done: an engine that sees
			// done closed, or reads failed after, acts no more.
			if f.err != nil {
				f.ctxEnded = ctx.Err() != nil && errors.Is(f.err, ctx.Err())
				e.failed.Store(true)
			}
			f.ended = time.Now()
			close(f.done)
		}()
		if queued {
			f.err = e.queueOneCommit(ctx, q, prev, f)
			return
		}
		defer close(f.queued)
		if f.err = f.encodeEvents(); f.err != nil {
			return
		}
		if _, ok := e.store.(eventstore.BatchAppender); ok {
			f.err = e.appendOneCommit(ctx, first, second, f)
			return
		}
		tainted := map[string]bool{}
		if f.err = e.appendAll(ctx, first, f, tainted); f.err != nil {
			return
		}
		kept := second[:0]
		for _, b := range second {
			if tainted[strings.TrimPrefix(b.stream, "invoice-")] {
				if b.recorded > 0 { // recorded facts are never dropped to a re-read
					f.refused = b
					f.err = fmt.Errorf("dunning: append to %s not written, as an append it follows conflicted: %w: %w", b.stream, errRecordedRefused, eventstore.ErrWrongExpectedVersion)
					return
				}
				f.conflicts = append(f.conflicts, b) // not written: re-read it
			} else {
				kept = append(kept, b)
			}
		}
		f.err = e.appendAll(ctx, kept, f, nil)
	}()
	return nil
}

// join waits for every flush in flight, oldest first, and re-reads every
// stream whose batch was refused or not written, so that the engine
// decides again from what the ledger really holds. Any other failure
// stops the engine; a restart rebuilds its memory from the ledger.
func (e *Engine) join(ctx context.Context) error {
	return e.joinTo(ctx, 0)
}

// joinTo waits for the oldest flushes in flight until at most n remain.
// After a failure the later flushes are waited for too, and the engine
// stops at the first failure (stop); a stopped engine joins nothing and
// returns its *FlushError.
func (e *Engine) joinTo(ctx context.Context, n int) error {
	if e.stopErr != nil {
		return e.stopErr
	}
	for len(e.flights) > n {
		f := e.flights[0]
		e.flights = e.flights[1:]
		if err := e.land(ctx, f); err != nil {
			return e.stop(ctx, f, err)
		}
	}
	if len(e.flights) == 0 {
		e.flights = nil
	}
	return nil
}

// land waits for one flush and takes in its outcome.
func (e *Engine) land(ctx context.Context, f *flight) error {
	e.await(f)
	e.account(f)
	if e.settled {
		// A sole writer's writes are all it has applied: nothing of them
		// will be delivered back, so no echo ranges are kept.
		if e.pos.Less(f.last) {
			e.pos, e.seenAny = f.last, true
		}
		f.written = nil
	}
	for _, w := range f.written {
		if e.echo == nil {
			e.echo = map[string][]revRange{}
		}
		e.echo[w.stream] = append(e.echo[w.stream], w.r)
	}
	if f.err != nil {
		return f.err
	}
	e.forgetWritten(f)
	for _, b := range f.conflicts {
		e.log.Info("dunning: concurrent write; re-reading stream", "stream", b.stream)
		if err := e.reload(ctx, b.stream); err != nil {
			return err
		}
		for _, id := range b.invoices.list() {
			if err := e.reload(ctx, domain.InvoiceStream(id)); err != nil {
				return err
			}
			e.unstage(id)
			if inv := e.st.invoices[id]; inv != nil {
				e.rearm(inv) // an orphaned request is due to be settled
			}
		}
	}
	e.recycle(f.batches)
	f.enc.reset()
	if len(e.freeFlights) < queuedFlights {
		clear(f.batches)
		clear(f.reqs)
		clear(f.charges)
		e.freeFlights = append(e.freeFlights, f)
	}
	return nil
}

// newFlight returns a flight ready to start, with the slices of a landed
// one if there is one.
func (e *Engine) newFlight(queued bool) *flight {
	f := &flight{}
	if n := len(e.freeFlights); n > 0 {
		old := e.freeFlights[n-1]
		e.freeFlights[n-1] = nil
		e.freeFlights = e.freeFlights[:n-1]
		f.batches, f.reqs, f.enc, f.charges = old.batches[:0], old.reqs[:0], old.enc, old.charges[:0]
	}
	if f.enc == nil {
		f.enc = newEncoder()
	}
	f.done, f.queued, f.started, f.queuedMode = make(chan struct{}), make(chan struct{}), time.Now(), queued
	return f
}

// maxFreeBatches bounds the batches kept for reuse.
const maxFreeBatches = 8192

// newBatch returns an empty batch for stream, reusing a landed one if
// there is one: a flush stages hundreds of them.
func (e *Engine) newBatch(stream string, expected eventstore.ExpectedRevision) *batch {
	var b *batch
	if n := len(e.freeBatches); n > 0 {
		b = e.freeBatches[n-1]
		e.freeBatches[n-1] = nil
		e.freeBatches = e.freeBatches[:n-1]
	} else {
		b = &batch{}
	}
	b.stream, b.expected = stream, expected
	return b
}

// recycle keeps landed batches for newBatch, emptied (their events
// written, nothing of them is read again).
func (e *Engine) recycle(bs []*batch) {
	for _, b := range bs {
		if len(e.freeBatches) >= maxFreeBatches {
			return
		}
		clear(b.events)
		clear(b.evs)
		*b = batch{events: b.events[:0], evs: b.evs[:0]}
		e.freeBatches = append(e.freeBatches, b)
	}
}

// encodeEvents encodes the events of the flight's batches that were
// staged without data, on the flight's goroutine (see encode.go).
func (f *flight) encodeEvents() error {
	for _, b := range f.batches {
		for i, ev := range b.evs {
			if ev == nil {
				continue
			}
			_, data, err := f.enc.encode(ev)
			if err != nil {
				return fmt.Errorf("dunning: %s: %w", b.stream, err)
			}
			b.events[i].Data = data
		}
	}
	return nil
}

// queueOneCommit is appendOneCommit for a queued flight: the same one
// atomic append, queued in the store behind prev's. The flights behind a
// refused one were checked against heads it did not write, and the engine
// has applied all of them, so a refusal (which a sole writer meets only
// if someone else wrote after all) is not re-read and re-sent: it fails
// the flush, and the engine stops.
func (e *Engine) queueOneCommit(ctx context.Context, q batchQueuer, prev *flight, f *flight) error {
	if err := f.encodeEvents(); err != nil {
		if prev != nil {
			<-prev.queued
		}
		f.notQueued = true
		close(f.queued)
		return err
	}
	all := f.batches // first the subscriptions' and other streams', then the invoices'
	reqs := f.reqs[:0]
	for _, b := range all {
		reqs = append(reqs, eventstore.AppendRequest{Stream: b.stream, Expected: b.expected, Events: b.events})
	}
	f.reqs = reqs
	if prev != nil {
		<-prev.queued
		if prev.notQueued {
			f.notQueued = true
			close(f.queued)
			return errors.New("dunning: flush not written: an earlier flush failed")
		}
	}
	wait, err := q.QueueAppendBatch(ctx, &e.queueChain, reqs)
	f.notQueued = err != nil
	close(f.queued)
	if err == nil {
		var res []eventstore.AppendResult
		if res, err = wait(); err == nil {
			f.appends += len(all)
			for i, b := range all {
				f.noteWritten(b, res[i])
			}
			return nil
		}
	}
	var be *eventstore.BatchError
	if errors.As(err, &be) && be.Index >= 0 && be.Index < len(all) && refusal(err) {
		f.refused = all[be.Index]
		if f.refused.recorded > 0 && errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return fmt.Errorf("dunning: %w: %w", errRecordedRefused, err)
		}
	}
	return fmt.Errorf("dunning: %w", err)
}

// refusal reports whether err is the store's refusal of an append as
// such (its input, its stream or its expected revision), as opposed to a
// failure of the store or of the call (unavailable, closed, a storage
// error, the context ended), whose outcome may be unknown. Only a refused
// append is named by the FlushError (flight.refused), on every path.
func refusal(err error) bool {
	return errors.Is(err, eventstore.ErrWrongExpectedVersion) || errors.Is(err, eventstore.ErrInvalidArgument) ||
		errors.Is(err, eventstore.ErrStreamDeleted)
}

// appendOneCommit writes both phases of a flush as one atomic
// multi-stream append (the store is an eventstore.BatchAppender): the
// subscriptions' batches, then the invoices', in staging order, so one
// synced commit carries the flush and $all's order is the same run to
// run. A batch refused for a wrong expected revision refuses the whole
// append: it is set aside to be re-read, with, for a subscription's
// batch, the batches of its invoices (which the phased flush would not
// write either), and the rest is sent again. A recorded batch is never set
// aside: its refusal, or its invoice's subscription's, fails the flush.
func (e *Engine) appendOneCommit(ctx context.Context, first, second []*batch, f *flight) error {
	all := append(append([]*batch(nil), first...), second...)
	for len(all) > 0 {
		reqs := make([]eventstore.AppendRequest, len(all))
		for i, b := range all {
			reqs[i] = eventstore.AppendRequest{Stream: b.stream, Expected: b.expected, Events: b.events}
		}
		res, err := eventstore.AppendAll(ctx, e.store, reqs)
		if err == nil {
			f.appends += len(all)
			for i, b := range all {
				f.noteWritten(b, res[i])
			}
			return nil
		}
		var be *eventstore.BatchError
		if !errors.As(err, &be) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			if be != nil && be.Index >= 0 && be.Index < len(all) && refusal(err) {
				f.refused = all[be.Index]
			}
			return fmt.Errorf("dunning: %w", err)
		}
		b := all[be.Index]
		if b.recorded > 0 {
			f.refused = b
			return fmt.Errorf("dunning: %w: %w", errRecordedRefused, err)
		}
		f.conflicts = append(f.conflicts, b)
		all = slices.Delete(all, be.Index, be.Index+1)
		if strings.HasPrefix(b.stream, "invoice-") {
			continue
		}
		kept := all[:0]
		for _, c := range all {
			if id, ok := strings.CutPrefix(c.stream, "invoice-"); ok && b.invoices.has(id) {
				if c.recorded > 0 { // recorded facts are never dropped to a re-read
					f.refused = c
					return fmt.Errorf("dunning: append to %s not written, as the append to %s it follows conflicted: %w: %w", c.stream, b.stream, errRecordedRefused, err)
				}
				f.conflicts = append(f.conflicts, c) // not written: re-read it
			} else {
				kept = append(kept, c)
			}
		}
		all = kept
	}
	return nil
}

// appendAll appends batches concurrently, which lets the store's group
// commit share syncs among them; batches refused for a conflict are noted
// in f, and their invoices added to tainted.
func (e *Engine) appendAll(ctx context.Context, batches []*batch, f *flight, tainted map[string]bool) error {
	if len(batches) == 0 {
		return nil
	}
	errs := make([]error, len(batches))
	results := make([]eventstore.AppendResult, len(batches))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.appendConcurrency, len(batches)) {
		wg.Go(func() {
			for i := range work {
				b := batches[i]
				results[i], errs[i] = e.store.Append(ctx, b.stream, b.expected, b.events...)
			}
		})
	}
	for i := range batches {
		work <- i
	}
	close(work)
	wg.Wait()
	f.appends += len(batches)
	// Every confirmed append is noted first: one failure below ends the
	// loop, and the batches written beside it must not be listed as
	// unwritten (see unwritten).
	for i, err := range errs {
		if err == nil {
			f.noteWritten(batches[i], results[i])
		}
	}
	// A refused append fails the flush first, whatever its index: it is
	// the one the FlushError names, and an unknown outcome beside it
	// must not hide it.
	for i, err := range errs {
		if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) && refusal(err) {
			f.refused = batches[i]
			return fmt.Errorf("dunning: append to %s: %w", batches[i].stream, err)
		}
	}
	for i, err := range errs {
		b := batches[i]
		if err == nil {
			continue
		}
		// A failure other than a conflict (bad input, or an unknown
		// outcome when the context ended) fails the flush as it is, so
		// this check comes first: errRecordedRefused marks only a recorded
		// batch refused for its expected revision, as in appendOneCommit.
		// The batch is named only if the store refused it (refusal), as
		// appendOneCommit names only a refused request.
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			if refusal(err) {
				f.refused = b
			}
			return fmt.Errorf("dunning: append to %s: %w", b.stream, err)
		}
		if b.recorded > 0 {
			f.refused = b
			return fmt.Errorf("dunning: append to %s: %w: %w", b.stream, errRecordedRefused, err)
		}
		f.conflicts = append(f.conflicts, b)
		for _, id := range b.invoices.list() {
			if tainted != nil {
				tainted[id] = true
			}
		}
	}
	return nil
}

// invoiceSet is a small set of invoice ids.
type invoiceSet struct {
	first string
	more  map[string]bool
}

func (s *invoiceSet) add(id string) {
	switch {
	case s.first == "" || s.first == id:
		s.first = id
	default:
		if s.more == nil {
			s.more = map[string]bool{}
		}
		s.more[id] = true
	}
}

func (s *invoiceSet) has(id string) bool { return id != "" && (s.first == id || s.more[id]) }

// list returns the ids, the first added first, the others sorted.
func (s *invoiceSet) list() []string {
	if s.first == "" {
		return nil
	}
	return append([]string{s.first}, slices.Sorted(maps.Keys(s.more))...)
}
