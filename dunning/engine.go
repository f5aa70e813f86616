package dunning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// Engine is the dunning process manager. It is driven either by Run
// (wall clock, for the server) or by AdvanceTo (virtual clock, for the
// simulator and tests); both go through the same handling code.
type Engine struct {
	store   eventstore.Store
	clock   Clock
	gateway Gateway
	cfg     config
	log     *slog.Logger

	planner  RetryPlanner
	notifier Notifier

	mu     sync.Mutex // held while the engine works; Stats takes it too
	st     *state
	timers timers
	outbox map[string]*batch
	order  []*batch
	stats  Stats

	// The subscription and the position of the last event applied from it.
	subCtx    context.Context
	subCancel context.CancelFunc
	sub       eventstore.Subscription
	pos       eventstore.Position
	seenAny   bool
	reloading bool
	// flights are the flushes in flight, oldest first: at most one, or
	// up to queuedFlights for a sole writer on a store that queues
	// appends in order (see flushAsync).
	flights []*flight
	// queueChain links a sole writer's queued flushes: once the store
	// refuses one, it refuses every later one, so none is written without
	// the flushes before it.
	queueChain eventstore.QueueChain
	// freeBatches are landed batches kept for reuse (newBatch).
	freeBatches []*batch
	freeFlights []*flight // landed flights whose slices are reused
	idBuf       []byte    // decisionID's scratch
	// settled is set once a sole writer has caught up with the store.
	settled bool
	// acting is the invoice act is working on (re-armed once, at the end).
	acting *invoice
	// echo holds, by stream, revisions of recorded events (Record) that
	// are applied already and that the subscription has yet to deliver.
	echo map[string][]revRange

	// failed is raised by a flight that failed, before it reports done,
	// and by stop; it is read before every outside effect (halt.go).
	failed atomic.Bool
	// stopErr is the *FlushError the engine stopped at (see stop).
	stopErr error
	// charges are the gateway charges whose attempts are staged; a flush
	// takes them with its batches (UnrecordedCharge, should it fail).
	charges []UnrecordedCharge
	// sent are the charge requests sent whose attempts are not yet
	// written, by idempotency key (sent.go).
	sent map[string]sentCharge
	// sentBy lists the keys of sent by invoice id (settle.go).
	sentBy map[string][]string
	// busy is the wall time with a flush in flight (Stats.FlushTime).
	busy busyTime
}

// result is one subscription message as Run's pump hands it over.
type result struct {
	m   eventstore.SubscriptionMessage
	err error
}

// Stats counts the engine's work since it was created.
type Stats struct {
	Events  int // events the engine wrote
	Appends int // appends it made (one per stream per flush)
	Applied int // events applied from the subscription
	Charges int // gateway charges recorded
	Flushes int // outbox flushes
	// FlushTime is the wall time during which at least one flush was in
	// flight, from a flush's start to the store's answer. Flushes that
	// overlap (a sole writer keeps several in flight) count once, so it
	// never exceeds the wall time of the run (see flushtime.go).
	FlushTime time.Duration
	// FlushWait is the wall time the driver spent blocked waiting for a
	// flush to be answered: the part of FlushTime that the engine's own
	// work did not overlap.
	FlushWait time.Duration
}

// New returns an engine; it does no I/O until Run or AdvanceTo.
//
// A nil gateway means the billing system makes every charge itself and
// records it (as `recoup serve` does until a processor adapter exists):
// the engine then decides retries, which the billing system learns from
// next_payment_attempt, sends the emails and webhooks, and applies the
// outcomes, but never charges.
func New(store eventstore.Store, clock Clock, gw Gateway, opts ...Option) (*Engine, error) {
	switch {
	case store == nil:
		return nil, errors.New("dunning: store: must not be nil")
	case clock == nil:
		return nil, errors.New("dunning: clock: must not be nil")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		store: store, clock: clock, gateway: gw, cfg: cfg, log: cfg.log,
		planner: cfg.planner, notifier: cfg.notifier,
		st: newState(), outbox: map[string]*batch{},
		subCtx: ctx, subCancel: cancel,
	}, nil
}

// Close stops the subscription. Work not yet flushed is lost by design:
// it is re-derived from the ledger by the next engine. Flushes still in
// flight are waited for; the *FlushError the engine stopped at, or that
// of the first of them that failed (or that was written but for conflicted
// appends carrying charges or recorded events), is returned, except when the engine
// stopped only because the context of the call writing a flush ended with
// nothing charged or recorded left unwritten (a server shutting down
// while the engine flushes): that is logged, and Close returns nil.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.flights) > 0 && e.stopErr == nil {
		f := e.flights[0] // a driver that failed may leave flushes behind
		e.flights = e.flights[1:]
		e.await(f)
		e.account(f)
		if f.err != nil {
			e.stop(context.Background(), f, f.err) // waits for the rest
		} else if cs, rec := unwritten(f); len(cs) > 0 || rec {
			// Written but for conflicts that are not re-read now: what
			// they carried that was charged or recorded is not written.
			e.stop(context.Background(), f, errClosedOnConflicts)
		}
	}
	e.flights = nil
	var errs []error
	if fe, ok := e.stopErr.(*FlushError); ok && fe.shutdown() {
		e.log.Warn("dunning: engine stopped as its context ended during a flush; nothing charged or recorded is unwritten", "err", fe)
	} else if e.stopErr != nil {
		errs = append(errs, e.stopErr)
	}
	e.subCancel()
	if e.sub != nil {
		errs = append(errs, e.sub.Close())
	}
	return errors.Join(errs...)
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// Position is the $all position of the last event the engine applied.
func (e *Engine) Position() eventstore.Position {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pos
}

// QueueDepth returns how many timers wait in the engine's queue, stale
// entries (dropped when reached) included: the server's engine-queue
// metric.
func (e *Engine) QueueDepth() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.timers)
}

// NextWake returns the engine's earliest pending timer, if any.
func (e *Engine) NextWake() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.peek()
	return t.at, ok
}

func (e *Engine) subscribe() error {
	if e.sub != nil {
		return nil
	}
	opts := eventstore.SubscribeOptions{From: e.pos, FromStart: !e.seenAny}
	sub, err := e.store.SubscribeToAll(e.subCtx, opts)
	if err != nil {
		return fmt.Errorf("dunning: subscribe to $all: %w", err)
	}
	e.sub = sub
	return nil
}

// receive applies one subscription message.
func (e *Engine) receive(m eventstore.SubscriptionMessage) error {
	if m.Event == nil {
		return nil
	}
	e.pos, e.seenAny = m.Event.Position, true
	e.stats.Applied++
	e.handle(m.Event)
	return nil
}

// catchUp applies every event up to the store's current head. A sole
// writer (WithSoleWriter) does it once: after that the store holds only
// what the engine applied before writing it.
func (e *Engine) catchUp(ctx context.Context) error {
	if !e.cfg.soleWriter {
		return e.readToHead(ctx)
	}
	if e.settled {
		return nil
	}
	if err := e.readToHead(ctx); err != nil {
		return err
	}
	e.settled, e.echo = true, nil
	if e.sub != nil {
		err := e.sub.Close()
		e.sub = nil
		if err != nil {
			return fmt.Errorf("dunning: close subscription: %w", err)
		}
	}
	return nil
}

// readToHead applies every event up to the store's current head through
// the subscription.
func (e *Engine) readToHead(ctx context.Context) error {
	if err := e.subscribe(); err != nil {
		return err
	}
	last, err := e.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil {
		return fmt.Errorf("dunning: read head of $all: %w", err)
	}
	if len(last) == 0 {
		return nil
	}
	head := last[0].Position
	for !e.seenAny || e.pos.Less(head) {
		m, err := e.sub.Recv(ctx)
		if err != nil {
			return fmt.Errorf("dunning: subscription: %w", err)
		}
		if err := e.receive(m); err != nil {
			return err
		}
	}
	return nil
}

// fireDue acts on every invoice whose timer is due at or before until.
// With a virtual clock the clock steps to each timer's time first, so
// events carry the time they were due.
func (e *Engine) fireDue(ctx context.Context, until time.Time) (int, error) {
	vc, virtual := e.clock.(*VirtualClock)
	fired := 0
	for {
		t, ok := e.peek()
		if !ok || t.at.After(until) {
			return fired, nil
		}
		inv := e.pop()
		now := until
		if virtual {
			vc.set(t.at)
			now = vc.Now()
		}
		if err := e.act(ctx, inv, now); err != nil {
			return fired, e.halt(ctx, err)
		}
		fired++
		if e.pending() >= e.cfg.batchSize {
			if err := e.flushAsync(ctx); err != nil {
				return fired, err
			}
		}
	}
}

// AdvanceTo moves a virtual clock to t, firing every due timer in order
// (by time, then invoice id) after applying every event recorded before
// the call. Events another writer records during the call are seen when
// the engine next flushes (its append to that stream is refused, and it
// re-reads the stream) or on the next call; the simulator records
// between calls. On return every decision up to t is written.
func (e *Engine) AdvanceTo(ctx context.Context, t time.Time) error {
	vc, ok := e.clock.(*VirtualClock)
	if !ok {
		return errors.New("dunning: AdvanceTo needs a *VirtualClock; use Run with a wall clock")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.failure(ctx); err != nil {
		return err
	}
	// The previous step's writes first: the subscription must not deliver
	// recorded events before their revisions are known (see echoed).
	if err := e.join(ctx); err != nil {
		return err
	}
	for {
		if err := e.catchUp(ctx); err != nil {
			return err
		}
		fired, err := e.fireDue(ctx, t)
		if err != nil {
			return err
		}
		if err := e.flush(ctx); err != nil {
			return err
		}
		if fired == 0 {
			break
		}
	}
	vc.set(t)
	return nil
}

// Decide fires every timer due up to t, in order, on what the engine
// holds, and leaves its decisions staged: it neither catches up with the
// store nor waits for a write in flight, so it overlaps the commit of the
// previous step. The next Commit, AdvanceTo or Flush writes them. It is
// for a driver that hands the engine every fact it writes (Record), as the
// simulator does, so that the engine's memory is all there is to know;
// events other writers record are seen at the next Commit. Once a flush
// in flight has failed, Decide returns its *FlushError instead, and it
// makes no further charge or send from the moment the store refuses a
// queued flush (or a flush's failure reaches the engine), even within one
// call (see FlushError).
func (e *Engine) Decide(ctx context.Context, t time.Time) error {
	vc, ok := e.clock.(*VirtualClock)
	if !ok {
		return errors.New("dunning: Decide needs a *VirtualClock; use Run with a wall clock")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// A flush that failed stops the engine before it decides anything
	// more (halt.go).
	if err := e.failure(ctx); err != nil {
		return err
	}
	if _, err := e.fireDue(ctx, t); err != nil {
		return err
	}
	vc.set(t)
	return nil
}

// Commit ends a step driven by Decide: it waits for the write in flight,
// catches up with what other writers recorded meanwhile, and starts
// writing everything staged (decisions and recorded facts) as one flush,
// returning while it is in flight, so that the driver's next step
// overlaps the commit. The next Commit, Decide's flush of a full outbox,
// AdvanceTo, Flush or Close waits for it. Timers that the catch-up
// makes due fire at the next Decide. A settled sole writer on a store
// that queues appends in order has nothing to catch up with and waits
// only when queuedFlights flushes are in flight (see flushAsync); a flush
// of its queue that has failed meanwhile is returned at once, as a
// *FlushError, whether or not the queue is full.
func (e *Engine) Commit(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	// A queued flush that failed is returned here, not only once the
	// queue is full or at the next Flush (halt.go).
	if err := e.failure(ctx); err != nil {
		return err
	}
	if !e.cfg.soleWriter || !e.settled {
		// A settled sole writer has nothing to catch up with, and its
		// flushes may queue behind one another (flushAsync).
		if err := e.join(ctx); err != nil {
			return err
		}
	}
	if err := e.catchUp(ctx); err != nil {
		return err
	}
	return e.flushAsync(ctx)
}

// SubscriptionStatus is the status of a subscription as the engine knows
// it: every event it applied or wrote, written or still in flight ("" for
// one it never saw).
func (e *Engine) SubscriptionStatus(id string) domain.SubscriptionStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	if sub := e.st.subs[id]; sub != nil {
		return sub.Status
	}
	return ""
}

// Invoice is a copy of an invoice's aggregate as the engine knows it:
// every event it applied or wrote, written or not (nil for one it never
// saw). Its Version is the revision the stream will be at once everything
// staged is written, so a driver can record the invoice's next events
// with an exact expected revision (Record) without reading the store.
func (e *Engine) Invoice(id string) *domain.Invoice {
	e.mu.Lock()
	defer e.mu.Unlock()
	if inv := e.st.invoices[id]; inv != nil && inv.agg.Exists() {
		return inv.agg.Clone()
	}
	return nil
}

// Run drives the engine on its clock until ctx ends: it applies events as
// the subscription delivers them and acts on timers as they come due.
func (e *Engine) Run(ctx context.Context) error {
	if _, virtual := e.clock.(*VirtualClock); virtual {
		return errors.New("dunning: Run needs a wall clock; drive a *VirtualClock with AdvanceTo")
	}
	if e.cfg.soleWriter {
		return errors.New("dunning: Run follows other writers; a sole writer (WithSoleWriter) is driven with Decide and Commit")
	}
	// Catch up with the whole ledger before acting on any timer: a timer of
	// a replayed invoice must not fire before the events that answer it
	// are applied (that would decide and send twice).
	e.mu.Lock()
	err := e.catchUp(ctx)
	if err == nil {
		_, err = e.fireDue(ctx, e.clock.Now())
	}
	if err == nil {
		err = e.flush(ctx)
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	msgs := make(chan result, 256)
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { // owned by Run: it stops when Run returns
		defer wg.Done()
		for {
			m, err := e.sub.Recv(pctx)
			select {
			case msgs <- result{m, err}:
			case <-pctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		var wake <-chan time.Time
		var tm *time.Timer
		if at, ok := e.NextWake(); ok {
			tm = time.NewTimer(max(at.Sub(e.clock.Now()), 0))
			wake = tm.C
		}
		var got []result
		select {
		case r := <-msgs:
			got = append(got, r)
		drain:
			for len(got) < e.cfg.batchSize {
				select {
				case r := <-msgs:
					got = append(got, r)
				default:
					break drain
				}
			}
		case <-wake:
		case <-ctx.Done():
			if tm != nil {
				tm.Stop()
			}
			return nil
		}
		if tm != nil {
			tm.Stop()
		}
		// A full batch means more events are waiting: apply them all before
		// firing timers, so no decision is taken on a partly applied state.
		if err := e.runStep(ctx, got, len(got) < e.cfg.batchSize); err != nil {
			return err
		}
	}
}

// runStep applies received messages, then fires what is due and flushes.
func (e *Engine) runStep(ctx context.Context, got []result, fire bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range got {
		if r.err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("dunning: subscription: %w", r.err)
		}
		if err := e.receive(r.m); err != nil {
			return err
		}
	}
	if !fire {
		return nil
	}
	if _, err := e.fireDue(ctx, e.clock.Now()); err != nil {
		return err
	}
	return e.flush(ctx)
}

// reload rebuilds one stream's state from the store after a conflict.
func (e *Engine) reload(ctx context.Context, stream string) error {
	recs, err := e.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return fmt.Errorf("dunning: re-read %s: %w", stream, err)
	}
	e.reloading = true
	defer func() { e.reloading = false }()
	if id, ok := strings.CutPrefix(stream, "invoice-"); ok {
		if old := e.st.invoices[id]; old != nil {
			old.wake = time.Time{}
		}
		delete(e.st.invoices, id)
	} else if id, ok := strings.CutPrefix(stream, "subscription-"); ok {
		delete(e.st.subs, id)
	}
	for i := range recs {
		ev, err := domain.Decode(recs[i].Type, recs[i].Data)
		if err != nil {
			continue
		}
		e.apply(ev)
	}
	return nil
}
