package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// DefaultBatchSize is the number of events per batch while catching up.
const DefaultBatchSize = 4096

// RebuildBatchSize is the batch size `recoup rebuild` uses. Projections
// rebuilding from zero gather their writes across batches themselves
// (bulk modes), so a batch need not be large; a small one lets reading
// $all and applying overlap from the first events on, where one of
// tens of thousands of events would be read whole before any is applied.
const RebuildBatchSize = DefaultBatchSize

// Options tunes a Runner.
type Options struct {
	// BatchSize bounds the events handed to Apply at once (default
	// DefaultBatchSize).
	BatchSize int
	// Metrics, when set, receives lag and progress.
	Metrics *Metrics
	// Progress, when set, is called after each batch with the position of
	// its last event and the number of events applied so far in this call.
	Progress func(last eventstore.Position, applied uint64)
}

// Runner drives projections from a store's $all. It is safe to call Lag
// while Run or CatchUp runs; Run and CatchUp must not run concurrently.
type Runner struct {
	store eventstore.Store
	projs []Projection
	opts  Options

	mu     sync.Mutex
	cps    []checkpoint // one per projection, guarded by mu
	loaded bool         // cps were read from the projections
	bufs   [2]*eventBuf // batch buffers, kept between calls
	lastLg time.Time
}

type checkpoint struct {
	pos eventstore.Position
	ok  bool
}

// NewRunner returns a runner for projs, whose names must be unique.
func NewRunner(store eventstore.Store, opts Options, projs ...Projection) (*Runner, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	seen := map[string]bool{}
	for _, p := range projs {
		if seen[p.Name()] {
			return nil, fmt.Errorf("projections: name %q: used by two projections", p.Name())
		}
		seen[p.Name()] = true
	}
	return &Runner{store: store, projs: projs, opts: opts, cps: make([]checkpoint, len(projs))}, nil
}

// CatchUp applies every event up to the head of $all as it is when called,
// then returns.
func (r *Runner) CatchUp(ctx context.Context) error { return r.follow(ctx, false) }

// Run catches up, then follows $all live until ctx ends (it returns nil
// then) or a projection fails.
func (r *Runner) Run(ctx context.Context) error {
	err := r.follow(ctx, true)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// Rebuild resets every projection of the runner and catches them up from
// the start of $all.
func (r *Runner) Rebuild(ctx context.Context) error {
	for _, p := range r.projs {
		if err := p.Reset(ctx); err != nil {
			return fmt.Errorf("rebuild %s: reset: %w", p.Name(), err)
		}
	}
	return r.CatchUp(ctx)
}

// loadCheckpoints reads each projection's checkpoint and returns the
// lowest, where the subscription starts.
func (r *Runner) loadCheckpoints(ctx context.Context) (from checkpoint, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, p := range r.projs {
		pos, ok, err := p.Checkpoint(ctx)
		if err != nil {
			return from, fmt.Errorf("projection %s: checkpoint: %w", p.Name(), err)
		}
		r.cps[i] = checkpoint{pos, ok}
		r.loaded = true
		if i == 0 || !ok || (from.ok && pos.Less(from.pos)) {
			from = checkpoint{pos, ok}
		}
	}
	return from, nil
}

func (r *Runner) head(ctx context.Context) (checkpoint, error) {
	evs, err := r.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil {
		return checkpoint{}, fmt.Errorf("projections: read head of $all: %w", err)
	}
	if len(evs) == 0 {
		return checkpoint{}, nil
	}
	return checkpoint{evs[0].Position, true}, nil
}

func (r *Runner) follow(ctx context.Context, live bool) error {
	if len(r.projs) == 0 {
		return nil
	}
	from, err := r.loadCheckpoints(ctx)
	if err != nil {
		return err
	}
	head, err := r.head(ctx)
	if err != nil {
		return err
	}
	if !live && (!head.ok || (from.ok && !from.pos.Less(head.pos))) {
		r.updateLag(ctx, true)
		return nil // nothing to catch up
	}
	sub, err := r.store.SubscribeToAll(ctx, eventstore.SubscribeOptions{From: from.pos, FromStart: !from.ok, Reuse: true})
	if err != nil {
		return fmt.Errorf("projections: subscribe to $all: %w", err)
	}
	defer sub.Close()

	// A reader goroutine fills the next batch from $all while this one
	// applies the current batch: decoding the log and projecting it then
	// use both cores. It stops when follow returns (cancel, then wait).
	readCtx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	free := make(chan *eventBuf, len(r.bufs))
	for _, b := range r.bufs {
		if b == nil || cap(b.events) < r.opts.BatchSize {
			b = newEventBuf(r.opts.BatchSize) // not grown by appends
		}
		b.reset()
		free <- b
	}
	var wg sync.WaitGroup
	wg.Go(func() { r.read(readCtx, sub, head, live, batches, free) })
	defer func() {
		cancel()
		wg.Wait()
		for i := range r.bufs { // keep the buffers for the next call
			select {
			case b := <-free:
				r.bufs[i] = b
			default:
				r.bufs[i] = nil // not back: never keep one buffer twice
			}
		}
	}()

	var applied uint64
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		if b.done {
			return nil
		}
		if err := r.apply(ctx, b.events); err != nil {
			return err
		}
		applied += uint64(len(b.events))
		if r.opts.Progress != nil {
			r.opts.Progress(b.events[len(b.events)-1].Position, applied)
		}
		free <- b.buf
		if b.atHead {
			// At the head, make what was applied visible and durable
			// before waiting for more.
			if err := r.sync(ctx); err != nil {
				return err
			}
		}
		r.updateLag(ctx, b.atHead)
	}
	return ctx.Err() // the reader stopped without a batch: ctx ended
}

// batch is what the reader hands to follow: events to apply (ending at
// the head of $all or not), the end of a catch-up, or a failure.
type batch struct {
	buf    *eventBuf
	events []eventstore.RecordedEvent
	atHead bool
	done   bool
	err    error
}

// read receives $all into batches of BatchSize events, or fewer when it
// reaches the head, and sends them to out, taking empty buffers from
// free. Without live it stops at the head (sending done). It closes out
// when it returns.
func (r *Runner) read(ctx context.Context, sub eventstore.Subscription, head checkpoint, live bool,
	out chan<- batch, free chan *eventBuf) {
	defer close(out)
	send := func(b batch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var buf *eventBuf
	select {
	case buf = <-free:
	case <-ctx.Done():
		return
	}
	for {
		msg, err := sub.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil {
				send(batch{err: fmt.Errorf("projections: receive from $all: %w", err)})
			}
			return
		}
		var last eventstore.Position
		switch {
		case msg.Event != nil:
			buf.add(msg.Event)
			last = msg.Event.Position
		case msg.Checkpoint != nil:
			last = *msg.Checkpoint
		default:
			continue
		}
		// An empty log at subscribe time has no head: anything received is
		// past it, so a live runner re-reads the head and flushes.
		atHead := !head.ok || !last.Less(head.pos)
		if atHead && live {
			// Re-read the head: a busy log keeps being batched.
			if head, err = r.head(ctx); err != nil {
				send(batch{err: err})
				return
			}
			atHead = !last.Less(head.pos)
		}
		if n := len(buf.events); n >= r.opts.BatchSize || (atHead && n > 0) {
			if !send(batch{buf: buf, events: buf.events, atHead: atHead}) {
				return
			}
			select {
			case buf = <-free:
				buf.reset()
			case <-ctx.Done():
				return
			}
		}
		if atHead && !live {
			send(batch{done: true})
			return
		}
	}
}

// Syncer is implemented by projections that finish writing a batch in
// the background after Apply returns: Sync waits until everything
// accepted is stored, and reports a failure of that background write.
// The Runner calls the Syncs of its projections concurrently, never one
// with the same projection's Apply.
type Syncer interface {
	Sync(ctx context.Context) error
}

// sync syncs the projections concurrently: each waits on its own
// writes (a bulk rebuild's last tables, their fsyncs), which then
// overlap. Projections share no state a Sync touches.
func (r *Runner) sync(ctx context.Context) error {
	errs := make([]error, len(r.projs))
	var wg sync.WaitGroup
	for i, p := range r.projs {
		if s, ok := p.(Syncer); ok {
			wg.Go(func() {
				if err := s.Sync(ctx); err != nil {
					errs[i] = fmt.Errorf("projection %s: %w", p.Name(), err)
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// apply hands each projection the part of batch after its checkpoint,
// the projections concurrently: they share no state (each has its own
// tables, checkpoint and buffers), and a rebuild's work is mostly theirs,
// so the cores the reader leaves idle go to them. A projection that fails
// keeps its checkpoint; the others advance theirs.
func (r *Runner) apply(ctx context.Context, batch []eventstore.RecordedEvent) error {
	if len(r.projs) == 1 {
		return r.applyOne(ctx, 0, batch)
	}
	errs := make([]error, len(r.projs))
	var wg sync.WaitGroup
	for i := range r.projs[1:] {
		wg.Go(func() { errs[i+1] = r.applyOne(ctx, i+1, batch) })
	}
	errs[0] = r.applyOne(ctx, 0, batch)
	wg.Wait()
	// A projection's real failure is not hidden behind another's
	// cancellation (Run returns nil for a cancellation alone).
	if ctx.Err() != nil && slices.ContainsFunc(errs, func(e error) bool { return e != nil && !errors.Is(e, ctx.Err()) }) {
		errs = slices.DeleteFunc(errs, func(e error) bool { return errors.Is(e, ctx.Err()) })
	}
	return errors.Join(errs...)
}

// applyOne hands projection i the part of batch after its checkpoint.
func (r *Runner) applyOne(ctx context.Context, i int, batch []eventstore.RecordedEvent) error {
	p := r.projs[i]
	r.mu.Lock()
	cp := r.cps[i]
	r.mu.Unlock()
	start := 0
	if cp.ok {
		for start < len(batch) && !cp.pos.Less(batch[start].Position) {
			start++
		}
	}
	if start == len(batch) {
		return nil
	}
	if err := p.Apply(ctx, batch[start:]); err != nil {
		return fmt.Errorf("projection %s: apply events %d..%d: %w",
			p.Name(), batch[start].Position.Commit, batch[len(batch)-1].Position.Commit, err)
	}
	r.mu.Lock()
	r.cps[i] = checkpoint{batch[len(batch)-1].Position, true}
	r.mu.Unlock()
	if r.opts.Metrics != nil {
		r.opts.Metrics.applied.WithLabelValues(p.Name()).Add(float64(len(batch) - start))
	}
	return nil
}
