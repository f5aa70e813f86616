package kurrent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// Options tunes a Store. The zero value is the production default.
type Options struct {
	// Logger receives the client's log lines; nil discards them (the
	// client would otherwise print every handled error).
	Logger esdb.LoggingFunc
	// ResubscribeWait bounds how long Subscription.Recv keeps trying to
	// resume a dropped subscription before it returns ErrUnavailable (a
	// later Recv tries again); 0 means 30 seconds.
	ResubscribeWait time.Duration
	// MaxDiscoverAttempts, when positive, overrides the connection
	// string's maxDiscoverAttempts: how many rounds one connection attempt
	// makes before the store reports ErrUnavailable.
	MaxDiscoverAttempts int
}

// Store is an eventstore.Store on a KurrentDB server or cluster. It is
// safe for concurrent use; see doc.go for the design.
type Store struct {
	cfg  esdb.Configuration
	opts Options

	mu      sync.Mutex
	closed  bool
	cur     *session    // the session new operations use; nil until dialled
	dialing *dialResult // the dial in progress, if any
	subs    map[*subscription]struct{}
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the server named by url, a KurrentDB connection string
// such as "esdb://localhost:2113?tls=false" or
// "esdb://node1:2113,node2:2113,node3:2113?tls=true". It fails with
// ErrUnavailable when no node answers, and with ErrInvalidArgument for a
// malformed url.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		return nil, &eventstore.Error{Op: "open", Field: "url", Detail: err.Error(), Err: eventstore.ErrInvalidArgument}
	}
	cfg.Logger = opts.Logger
	if cfg.Logger == nil {
		cfg.Logger = esdb.NoopLogging()
	}
	if opts.MaxDiscoverAttempts > 0 {
		cfg.MaxDiscoverAttempts = opts.MaxDiscoverAttempts
	}
	if opts.ResubscribeWait <= 0 {
		opts.ResubscribeWait = 30 * time.Second
	}
	s := &Store{cfg: *cfg, opts: opts, subs: make(map[*subscription]struct{})}
	sess, err := s.acquire(ctx, "open")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.release(sess, nil)
	return s, nil
}

// Close closes every subscription and the connection. Operations still
// in flight finish (or fail) first; their connection is closed after them.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := make([]*subscription, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		sub.Close()
	}
	// A dial in progress closes its client itself when it sees closed.
	s.mu.Lock()
	cur := s.cur
	idle := cur != nil && s.retire(cur)
	s.mu.Unlock()
	if idle {
		cur.client.Close()
	}
	return nil
}

func (s *Store) track(sub *subscription) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.subs[sub] = struct{}{}
	return true
}

func (s *Store) untrack(sub *subscription) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
}

func (s *Store) closedErr(op string) error {
	return &eventstore.Error{Op: op, Err: eventstore.ErrClosed}
}

func (s *Store) String() string {
	if len(s.cfg.GossipSeeds) > 0 {
		return fmt.Sprintf("kurrentdb cluster (%d seeds)", len(s.cfg.GossipSeeds))
	}
	return "kurrentdb " + s.cfg.Address
}
