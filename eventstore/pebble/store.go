package pebble

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/internal/pebblelog"
)

// ErrLocked is returned by Open when another process, or another open
// Store in this process, holds the directory.
var ErrLocked = errors.New("event store directory is in use by another open store (its LOCK file is held)")

// Options tunes a Store. The zero value is the production default.
type Options struct {
	// MaxEventSize limits one event's data plus metadata in bytes;
	// 0 means eventstore.MaxEventSize.
	MaxEventSize int
	// FS is the file system; nil means the operating system's. Tests pass
	// Pebble's crashable in-memory file system.
	FS vfs.FS
	// HeadCacheSize bounds the number of stream heads the appender keeps in
	// memory; 0 means 100,000.
	HeadCacheSize int
	// CacheSize is Pebble's block cache in bytes; 0 means 128 MiB.
	CacheSize int64
}

// Store is the embedded event store on Pebble. It is safe for concurrent
// use; see doc.go for the design.
type Store struct {
	db   *pebble.DB
	lock *pebble.Lock
	opts Options

	// life guards closed: every operation that touches db holds it for
	// reading, Close takes it for writing, so db is never used after Close.
	life   sync.RWMutex
	closed bool

	reqs     chan *request
	appender *appender
	// closing is closed when Close begins, waking waiting subscribers.
	closing chan struct{}
	commits notifier
	// lastPos is the position of the last committed event (0: none):
	// committed means synced, so readers bounded by it never see an event
	// that a crash could still take away.
	lastPos atomic.Uint64
	// failed holds the error that made a commit fail: the store then
	// refuses all writes until it is reopened, since later groups were
	// checked against state that may not be durable.
	failMu sync.Mutex
	failed error
}

var _ eventstore.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = eventstore.MaxEventSize
	}
	if opts.HeadCacheSize <= 0 {
		opts.HeadCacheSize = 100_000
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 128 << 20
	}
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open event store %s: %w", dir, err)
	}
	lock, err := pebble.LockDirectory(dir, fs)
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w: %v", dir, ErrLocked, err)
	}
	db, err := openDB(dir, fs, lock, opts)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open event store %s: %w", dir, err)
	}
	s := &Store{
		db:      db,
		lock:    lock,
		opts:    opts,
		reqs:    make(chan *request, 1024),
		closing: make(chan struct{}),
	}
	s.commits.init()
	last, err := lastPosition(db)
	if err != nil {
		db.Close()
		lock.Close()
		return nil, fmt.Errorf("open event store %s: %w", dir, err)
	}
	noHeads, err := emptyPrefix(db, prefixHead)
	if err != nil {
		db.Close()
		lock.Close()
		return nil, fmt.Errorf("open event store %s: %w", dir, err)
	}
	s.lastPos.Store(last)
	s.appender = newAppender(s, last+1, noHeads)
	go s.appender.run()
	return s, nil
}

func openDB(dir string, fs vfs.FS, lock *pebble.Lock, opts Options) (*pebble.DB, error) {
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	po := &pebble.Options{
		FS:                 fs,
		Lock:               lock,
		Cache:              cache,
		MemTableSize:       64 << 20,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebblelog.Quiet,
		// Pebble's default for found corruption is to exit the process.
		// The store reports it to the reader as ErrCorruptRecord instead,
		// so it is logged here and the process carries on.
		EventListener: &pebble.EventListener{DataCorruption: func(info pebble.DataCorruptionInfo) {
			slog.Error("event store: on-disk corruption", "path", info.Path, "err", info.Details)
		}},
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].BlockSize = 32 << 10
	}
	return pebble.Open(dir, po)
}

// lastPosition finds the highest position in the global log.
func lastPosition(db *pebble.DB) (uint64, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefixGlobal, UpperBound: upperBound(prefixGlobal)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Last() {
		return 0, storageError("open: find the end of the log", "", it.Error())
	}
	pos, ok := globalPos(it.Key())
	if !ok {
		return 0, &eventstore.Error{Op: "open", Detail: fmt.Sprintf("malformed global key %x", it.Key()), Err: eventstore.ErrCorruptRecord}
	}
	return pos, nil
}

// emptyPrefix reports whether no key starts with prefix.
func emptyPrefix(db *pebble.DB, prefix []byte) (bool, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upperBound(prefix)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	if it.First() {
		return false, nil
	}
	if err := it.Error(); err != nil {
		return false, storageError("open: look for stream heads", "", err)
	}
	return true, nil
}

// Close stops accepting work, lets the appender finish every append it
// already accepted (each is committed whole or fails whole), wakes
// subscribers with a closed error and closes Pebble.
func (s *Store) Close() error {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	close(s.reqs)
	s.life.Unlock()
	<-s.appender.done
	err := s.db.Close()
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("close event store: %w", err)
	}
	return nil
}

func (s *Store) fail(err error) {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	if s.failed == nil {
		s.failed = fmt.Errorf("commit failed, reopen the store: %w", err)
	}
}

func (s *Store) failure() error {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	return s.failed
}

// enter marks the start of an operation that uses the database; the
// caller must call s.life.RUnlock when done if enter returned nil.
func (s *Store) enter(op string) error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return &eventstore.Error{Op: op, Err: eventstore.ErrClosed}
	}
	return nil
}

// notifier broadcasts "something was committed" to any number of waiters
// without ever blocking the broadcaster.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) init() { n.ch = make(chan struct{}) }

// wait returns a channel closed at the next broadcast. Take it before
// checking for new data so a commit in between is not missed.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	close(n.ch)
	n.ch = make(chan struct{})
	n.mu.Unlock()
}
