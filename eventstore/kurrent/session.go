package kurrent

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// A session is one client (one connection state machine) and the
// operations running on it.
//
// The client reconnects by itself after a lost connection, but only lazily
// and in a way that is unsafe under concurrency: its first call after the
// loss rediscovers the node while other calls wait on an unbuffered
// channel, and if rediscovery fails the state machine exits and those
// calls wait forever. So a session is used until its first connection-level
// failure and then retired: new operations get a fresh session, dialled by
// exactly one goroutine, and the retired client is closed once its last
// operation has returned (closing it earlier would make a late error
// handler send on a closed channel).
type session struct {
	client  *esdb.Client
	refs    int  // operations and subscriptions using the client; guarded by Store.mu
	retired bool // no new operations; guarded by Store.mu
}

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
			s.dials.Add(1)
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

// dial creates a client and makes it connect (node discovery plus the
// server-features probe, bounded by the client's discovery attempts).
// It runs on its own goroutine, owned by the Store (Close waits for it),
// so a caller whose context ends does not leave a half-made session.
func (s *Store) dial(d *dialResult) {
	defer s.dials.Done()
	cfg := s.cfg
	client, err := esdb.NewClient(&cfg)
	if err == nil {
		if _, err = client.GetServerVersion(); err != nil {
			// Nothing else has used this client, so closing it is safe.
			client.Close()
			client = nil
		}
	}
	s.mu.Lock()
	s.dialing = nil
	switch {
	case err != nil:
		d.err = fmt.Errorf("connect to %s: %w", s, err)
	case s.closed:
		d.err = fmt.Errorf("connect to %s: %w", s, eventstore.ErrClosed)
		defer client.Close()
	default:
		s.cur = &session{client: client}
	}
	s.mu.Unlock()
	close(d.done)
}

// release ends one use of sess. An error that puts the connection in doubt
// retires the session; a retired session's client is closed by whoever
// releases it last.
func (s *Store) release(sess *session, err error) {
	s.mu.Lock()
	sess.refs--
	if err != nil && retryable(err) && !sess.retired {
		sess.retired = true
		if s.cur == sess {
			s.cur = nil
		}
	}
	idle := sess.retired && sess.refs == 0
	s.mu.Unlock()
	if idle {
		sess.client.Close()
	}
}

// do runs fn on a session and maps its error.
func (s *Store) do(ctx context.Context, f failure, fn func(*esdb.Client) error) error {
	sess, err := s.acquire(ctx, f.op)
	if err != nil {
		return err
	}
	err = mapError(ctx, f, fn(sess.client))
	s.release(sess, err)
	return err
}
