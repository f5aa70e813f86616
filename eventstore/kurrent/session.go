package kurrent

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// A session is one client (one connection state machine) and the calls
// running on it.
//
// The client reconnects by itself, lazily: a call that fails with
// Unavailable sends its state machine a "reconnect" message, and the next
// call rediscovers the node while every other call waits on the machine's
// unbuffered channel. If rediscovery gives up (after maxDiscoverAttempts),
// the state machine exits and those waiting calls, and any later error
// handler, block forever; closing the client then would make them panic.
// So:
//
//   - a session's client never gives up rediscovering (its discovery
//     attempts are unbounded), so a call stuck behind a rediscovery
//     proceeds when the server is back;
//   - whether the server answers at all is learnt from a separate probe
//     client with the configured, bounded attempts, used once and closed,
//     so that an outage is reported as ErrUnavailable promptly;
//   - a session is used until its first connection-level failure and then
//     retired: new calls get a fresh session, dialled (probe first) by one
//     goroutine for all of them;
//   - every call runs on its own goroutine, owned by the session, and the
//     caller waits for it, for its context, or — once the session is
//     retired — at most abandonAfter; an abandoned call still finishes (or
//     fails) when the server returns, and the outcome the caller was told
//     is "unknown" (ErrUnavailable), which a retry with the same event
//     IDs resolves;
//   - a retired session's client is closed by the last call to leave it,
//     when nothing can be waiting on its channel any more.
type session struct {
	client  *esdb.Client
	refs    int           // calls and subscriptions using the client; guarded by Store.mu
	retired chan struct{} // closed when the session is retired; guarded by Store.mu
}

func (sess *session) isRetired() bool {
	select {
	case <-sess.retired:
		return true
	default:
		return false
	}
}

// abandonAfter is how long a caller still waits for a call on a session
// that was retired under it (because another call lost the connection).
const abandonAfter = 3 * time.Second

// dialResult is the outcome of one dial, shared by everyone waiting on it.
type dialResult struct {
	done chan struct{}
	err  error
}

// acquire returns the current session, dialling one if there is none.
// Concurrent callers share a single dial; a failed dial fails all of them
// with ErrUnavailable rather than each retrying in turn.
func (s *Store) acquire(ctx context.Context, op string) (*session, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, s.closedErr(op)
		}
		if c := s.cur; c != nil {
			c.refs++
			s.mu.Unlock()
			return c, nil
		}
		d := s.dialing
		if d == nil {
			d = &dialResult{done: make(chan struct{})}
			s.dialing = d
			go s.dial(d)
		}
		s.mu.Unlock()
		select {
		case <-d.done:
			if d.err != nil {
				return nil, &eventstore.Error{Op: op, Detail: d.err.Error(), Err: eventstore.ErrUnavailable}
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: connect to %s: %w", op, s, ctx.Err())
		}
	}
}

// dial probes the server and, if it answers, makes the next session. It
// runs on its own goroutine, owned by the Store, so that a caller whose
// context ends leaves no half-made session; it ends when the probe does
// (bounded by the discovery attempts) plus one connect to a server that
// just answered.
func (s *Store) dial(d *dialResult) {
	client, err := s.connect()
	s.mu.Lock()
	s.dialing = nil
	switch {
	case err != nil:
		d.err = fmt.Errorf("connect to %s: %w", s, err)
	case s.closed:
		d.err = fmt.Errorf("connect to %s: %w", s, eventstore.ErrClosed)
		defer client.Close() // nothing else has used it
	default:
		s.cur = &session{client: client, retired: make(chan struct{})}
	}
	s.mu.Unlock()
	close(d.done)
}

// connect probes with a bounded client, then connects the session client.
func (s *Store) connect() (*esdb.Client, error) {
	probeCfg := s.cfg
	probe, err := esdb.NewClient(&probeCfg)
	if err != nil {
		return nil, err
	}
	_, err = probe.GetServerVersion()
	// Closing is safe whether the probe's state machine is still running
	// or exited after giving up: nothing else uses this client.
	probe.Close()
	if err != nil {
		return nil, err
	}
	cfg := s.cfg
	cfg.MaxDiscoverAttempts = math.MaxInt32
	client, err := esdb.NewClient(&cfg)
	if err != nil {
		return nil, err
	}
	if _, err := client.GetServerVersion(); err != nil {
		client.Close()
		return nil, err
	}
	return client, nil
}

// release ends one use of sess. An error that puts the connection in doubt
// retires the session; a retired session's client is closed by whoever
// releases it last.
func (s *Store) release(sess *session, err error) {
	s.mu.Lock()
	sess.refs--
	if err != nil && retryable(err) && !sess.isRetired() {
		close(sess.retired)
		if s.cur == sess {
			s.cur = nil
		}
	}
	idle := sess.isRetired() && sess.refs == 0
	s.mu.Unlock()
	if idle {
		sess.client.Close()
	}
}

// retire takes sess out of use (at Close).
func (s *Store) retire(sess *session) (idle bool) {
	if !sess.isRetired() {
		close(sess.retired)
	}
	if s.cur == sess {
		s.cur = nil
	}
	return sess.refs == 0
}

// do runs fn on a session and maps its error; see session for why fn runs
// on its own goroutine. fn must not publish its results to the caller
// except through variables the caller reads only when do returns nil.
func (s *Store) do(ctx context.Context, f failure, fn func(*esdb.Client) error) error {
	sess, err := s.acquire(ctx, f.op)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		err := mapError(ctx, f, fn(sess.client))
		s.release(sess, err)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	case <-sess.retired:
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
		case <-time.After(abandonAfter):
			return &eventstore.Error{Op: f.op, Stream: f.stream, Detail: "the connection was lost during the call; its outcome is unknown", Err: eventstore.ErrUnavailable}
		}
	}
	return fmt.Errorf("%s %s: %w", f.op, f.stream, ctx.Err())
}
