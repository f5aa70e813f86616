package kurrent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// SubscribeToAll implements eventstore.Store.
//
// Event-type and stream-name filters run on the server, which then also
// sends the checkpoints (every MaxSearchWindow × multiplier scanned events;
// the two are chosen so that their product is opts.CheckpointInterval).
// Without a filter the server sends no checkpoints, so the subscription
// counts the events it scans itself and emits them.
//
// The subscription survives a lost connection: it resumes after the last
// position it handed out (event or checkpoint) or scanned, so nothing is
// missed or delivered twice. See Subscription.Recv.
func (s *Store) SubscribeToAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if err := validateFilter(opts.Filter); err != nil {
		return nil, err
	}
	if opts.CheckpointInterval < 0 {
		return nil, eventstore.Invalid("subscribe", "", "CheckpointInterval", "must not be negative")
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = eventstore.DefaultCheckpointInterval
	}
	if !opts.FromStart && opts.From == eventstore.End {
		// Pin "the end" to a position now, so that a resume after a lost
		// connection starts where this subscription did rather than at a
		// later end.
		head, err := s.head(ctx)
		if err != nil {
			return nil, err
		}
		opts.From, opts.FromStart = head, head == eventstore.Start
	}
	sub := &subscription{
		store:    s,
		opts:     opts,
		resume:   opts.From,
		fromHere: !opts.FromStart,
		closed:   make(chan struct{}),
	}
	if !s.track(sub) {
		return nil, s.closedErr("subscribe")
	}
	// Connect now so that an unreachable server or a refused request is
	// reported by SubscribeToAll itself.
	if err := sub.connect(ctx); err != nil {
		sub.Close()
		return nil, err
	}
	return sub, nil
}

func validateFilter(f eventstore.Filter) error {
	switch f.Kind {
	case eventstore.FilterNone:
		return nil
	case eventstore.FilterEventType, eventstore.FilterStreamName:
		if len(f.Prefixes) == 0 {
			return eventstore.Invalid("subscribe", "", "Filter.Prefixes", "a filter needs at least one prefix")
		}
		return nil
	}
	return eventstore.Invalid("subscribe", "", "Filter.Kind", fmt.Sprintf("unknown filter kind %d", f.Kind))
}

// subscription is a catch-up subscription that reconnects. Recv is meant
// for one goroutine at a time (as the interface's single stream of
// messages implies); Close may be called from any goroutine.
type subscription struct {
	store *Store
	opts  eventstore.SubscribeOptions

	// resume is the last position handed out or scanned: after a
	// reconnect the server starts strictly after it. fromHere is false
	// until something was handed out when the caller asked for the very
	// start of the log.
	resume   eventstore.Position
	fromHere bool

	scanned int                  // events scanned since the last checkpoint (unfiltered only)
	pending *eventstore.Position // a checkpoint owed after the event just handed out

	mu   sync.Mutex  // guards live against Close
	live *connection // nil while disconnected; set and cleared by Recv

	closeOnce sync.Once
	closed    chan struct{}
}

// connection is one server-side subscription and the goroutine that
// pumps its messages into a channel, so that Recv can also wait on a
// context and on Close (the client's Recv waits on neither).
type connection struct {
	sess   *session
	inner  *esdb.Subscription
	cancel context.CancelFunc // ends the call's context once the pump is done
	msgs   chan *esdb.SubscriptionEvent
	done   chan struct{} // closed when the pump has returned
}

// Recv implements eventstore.Subscription. When the connection is lost it
// resumes by itself, retrying with backoff; if that has not succeeded
// within Options.ResubscribeWait it returns ErrUnavailable, and the next
// Recv tries again from the same place.
func (sub *subscription) Recv(ctx context.Context) (eventstore.SubscriptionMessage, error) {
	if p := sub.pending; p != nil {
		sub.pending = nil
		return eventstore.SubscriptionMessage{Checkpoint: p}, nil
	}
	var deadline time.Time
	backoff := 50 * time.Millisecond
	for {
		if sub.isClosed() {
			return eventstore.SubscriptionMessage{}, sub.closedErr()
		}
		if sub.live == nil {
			if deadline.IsZero() {
				deadline = time.Now().Add(sub.store.opts.ResubscribeWait)
			}
			err := sub.connect(ctx)
			switch {
			case err == nil:
				continue
			case !retryable(err) || ctx.Err() != nil:
				return eventstore.SubscriptionMessage{}, err
			case time.Now().After(deadline):
				return eventstore.SubscriptionMessage{}, err
			}
			if err := sub.sleep(ctx, backoff); err != nil {
				return eventstore.SubscriptionMessage{}, err
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		select {
		case ev := <-sub.live.msgs:
			msg, ok, err := sub.handle(ctx, ev)
			if err != nil || ok {
				return msg, err
			}
		case <-ctx.Done():
			return eventstore.SubscriptionMessage{}, fmt.Errorf("subscribe: %w", ctx.Err())
		case <-sub.closed:
			return eventstore.SubscriptionMessage{}, sub.closedErr()
		}
	}
}

// handle turns one message of the server into zero or one message for the
// caller (ok reports whether msg is one).
func (sub *subscription) handle(ctx context.Context, ev *esdb.SubscriptionEvent) (msg eventstore.SubscriptionMessage, ok bool, err error) {
	switch {
	case ev.EventAppeared != nil:
		rec := ev.EventAppeared.OriginalEvent()
		if rec == nil {
			return msg, false, nil
		}
		e := fromRecorded(rec)
		if sub.fromHere && !sub.resume.Less(e.Position) {
			return msg, false, nil // already handed out before a reconnect
		}
		sub.resume, sub.fromHere = e.Position, true
		cp := sub.countScanned(e.Position)
		if isSystem(e.Stream, e.Type) {
			if cp != nil {
				return eventstore.SubscriptionMessage{Checkpoint: cp}, true, nil
			}
			return msg, false, nil
		}
		sub.pending = cp
		return eventstore.SubscriptionMessage{Event: &e}, true, nil
	case ev.CheckPointReached != nil:
		p := fromPosition(*ev.CheckPointReached)
		if sub.fromHere && p.Less(sub.resume) {
			return msg, false, nil // never move the resume point back
		}
		sub.resume, sub.fromHere = p, true
		return eventstore.SubscriptionMessage{Checkpoint: &p}, true, nil
	case ev.SubscriptionDropped != nil:
		// The pump has retired the session; resume on a fresh one. Only a
		// closed subscription or an ended context stops here.
		sub.disconnect()
		if sub.isClosed() {
			return msg, false, sub.closedErr()
		}
		if err := ctx.Err(); err != nil {
			return msg, false, fmt.Errorf("subscribe: %w", err)
		}
		return msg, false, nil
	}
	return msg, false, nil // caught up, fell behind: nothing to hand out
}

// countScanned counts an event of an unfiltered subscription and returns
// the checkpoint due after it, if any. Filtered subscriptions get their
// checkpoints from the server.
func (sub *subscription) countScanned(p eventstore.Position) *eventstore.Position {
	if sub.opts.Filter.Kind != eventstore.FilterNone {
		return nil
	}
	sub.scanned++
	if sub.scanned < sub.opts.CheckpointInterval {
		return nil
	}
	sub.scanned = 0
	return &p
}

// connect starts a server-side subscription after sub.resume.
func (sub *subscription) connect(ctx context.Context) error {
	sess, err := sub.store.acquire(ctx, "subscribe")
	if err != nil {
		return err
	}
	so := esdb.SubscribeToAllOptions{From: toPosition(sub.resume)}
	switch {
	case !sub.fromHere:
		so.From = esdb.Start{}
	case sub.resume == eventstore.End:
		so.From = esdb.End{}
	}
	if k := sub.opts.Filter.Kind; k != eventstore.FilterNone {
		typ := esdb.EventFilterType
		if k == eventstore.FilterStreamName {
			typ = esdb.StreamFilterType
		}
		so.Filter = &esdb.SubscriptionFilter{Type: typ, Prefixes: sub.opts.Filter.Prefixes}
		so.MaxSearchWindow, so.CheckpointInterval = searchWindow(sub.opts.CheckpointInterval)
	}
	inner, cancel, err := subscribeOn(ctx, sess, so)
	if err != nil {
		sub.store.release(sess, err)
		return err
	}
	c := &connection{sess: sess, inner: inner, cancel: cancel, msgs: make(chan *esdb.SubscriptionEvent), done: make(chan struct{})}
	go c.pump(sub.store, sub.closed)
	sub.mu.Lock()
	sub.live = c
	sub.mu.Unlock()
	if sub.isClosed() {
		// Close ran before live was set and so could not stop this one.
		c.inner.Close()
	}
	sub.scanned = 0
	return nil
}

// subscribeOn starts a server-side subscription on sess. As with
// Store.do, the client's call runs on its own goroutine, so that the
// caller's context is honoured and a call stuck behind a lost connection
// is abandoned; an abandoned call closes what it eventually gets.
//
// The subscription lives until Close or a drop, not until ctx (the context
// of one Recv or of SubscribeToAll) ends; ctx only bounds the wait for the
// server's confirmation.
func subscribeOn(ctx context.Context, sess *session, so esdb.SubscribeToAllOptions) (*esdb.Subscription, context.CancelFunc, error) {
	life, cancel := context.WithCancel(context.Background())
	type result struct {
		inner *esdb.Subscription
		err   error
	}
	done := make(chan result) // unbuffered: a result nobody takes is closed by the sender
	abandoned := make(chan struct{})
	go func() {
		inner, err := sess.client.SubscribeToAll(life, so)
		select {
		case done <- result{inner, err}:
		case <-abandoned:
			if inner != nil {
				inner.Close()
			}
		}
	}()
	fail := func(err error) (*esdb.Subscription, context.CancelFunc, error) {
		close(abandoned)
		cancel()
		return nil, nil, err
	}
	retired := sess.retired
	var timeout <-chan time.Time
	for {
		select {
		case r := <-done:
			if err := mapError(ctx, failure{op: "subscribe", stream: "$all"}, r.err); err != nil {
				cancel()
				return nil, nil, err
			}
			return r.inner, cancel, nil
		case <-ctx.Done():
			return fail(fmt.Errorf("subscribe: %w", ctx.Err()))
		case <-retired:
			retired, timeout = nil, time.After(abandonAfter)
		case <-timeout:
			return fail(&eventstore.Error{Op: "subscribe", Stream: "$all", Detail: "the connection was lost while subscribing", Err: eventstore.ErrUnavailable})
		}
	}
}

// searchWindow splits a checkpoint interval into the server's max search
// window (events read per page, kept at most 1000) and a multiplier whose
// product is exactly the interval.
func searchWindow(interval int) (window, multiplier int) {
	for w := min(interval, 1000); w >= 1; w-- {
		if interval%w == 0 {
			return w, interval / w
		}
	}
	return 1, interval
}

// pump forwards the client's messages until the subscription drops or
// is closed, then gives the session back. A drop retires the session:
// whatever broke the stream is most likely the connection under it.
func (c *connection) pump(store *Store, closed <-chan struct{}) {
	defer close(c.done)
	var dropped error
	for dropped == nil {
		ev := c.inner.Recv()
		if ev.SubscriptionDropped != nil {
			dropped = &eventstore.Error{Op: "subscribe", Stream: "$all", Detail: fmt.Sprint(ev.SubscriptionDropped.Error), Err: eventstore.ErrUnavailable}
		}
		select {
		case c.msgs <- ev:
		case <-closed:
			dropped = errSubscriptionClosed
		}
	}
	c.inner.Close()
	c.cancel()
	if dropped == errSubscriptionClosed {
		dropped = nil
	}
	store.release(c.sess, dropped)
}

// errSubscriptionClosed marks a pump stopped by Close.
var errSubscriptionClosed = errors.New("closed")

// disconnect forgets the current server-side subscription after its pump
// reported a drop, and waits for the pump to have returned.
func (sub *subscription) disconnect() {
	sub.mu.Lock()
	c := sub.live
	sub.live = nil
	sub.mu.Unlock()
	if c != nil {
		<-c.done
	}
}

func (sub *subscription) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("subscribe: %w", ctx.Err())
	case <-sub.closed:
		return sub.closedErr()
	}
}

// Close implements eventstore.Subscription. It may be called from any
// goroutine, also while Recv waits; it returns once the server-side
// subscription is stopped.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() {
		close(sub.closed)
		sub.mu.Lock()
		c := sub.live
		sub.mu.Unlock()
		if c != nil {
			c.inner.Close()
			<-c.done
		}
		sub.store.untrack(sub)
	})
	return nil
}

func (sub *subscription) isClosed() bool {
	select {
	case <-sub.closed:
		return true
	default:
		return false
	}
}

func (sub *subscription) closedErr() error {
	return &eventstore.Error{Op: "subscribe", Stream: "$all", Err: eventstore.ErrSubscriptionClosed}
}
