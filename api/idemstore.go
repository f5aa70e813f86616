package api

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/internal/pebblelog"
)

// IdempotencyStore remembers the first response to each POST that carried
// an Idempotency-Key, so that a replay after a crash or a restart still
// returns it. It is a small Pebble database of its own: the responses are
// not ledger facts and must not be projected.
type IdempotencyStore struct {
	db  *pebble.DB
	ttl time.Duration
	now func() time.Time
}

// DefaultIdempotencyTTL is how long a key is remembered (the conventions
// promise at least 24 hours).
const DefaultIdempotencyTTL = 48 * time.Hour

// OpenIdempotencyStore opens (or creates) the store in dir. Records older
// than ttl are treated as absent and removed when found.
func OpenIdempotencyStore(dir string, ttl time.Duration) (*IdempotencyStore, error) {
	if ttl < 24*time.Hour {
		return nil, fmt.Errorf("idempotency ttl: %s is under the 24h the API promises", ttl)
	}
	db, err := pebble.Open(dir, &pebble.Options{Logger: pebblelog.Quiet})
	if err != nil {
		return nil, fmt.Errorf("open idempotency store %s: %w", dir, err)
	}
	return &IdempotencyStore{db: db, ttl: ttl, now: time.Now}, nil
}

// Close closes the database.
func (s *IdempotencyStore) Close() error { return s.db.Close() }

// storedResponse is a remembered response and the fingerprint of the
// request that produced it.
type storedResponse struct {
	Fingerprint string            `json:"fingerprint"`
	Status      int               `json:"status"`
	Header      map[string]string `json:"header"`
	Body        []byte            `json:"body"`
	Created     time.Time         `json:"created"`
}

func idemKey(scope, key string) []byte {
	// A length prefix keeps ("ab","c") apart from ("a","bc").
	b := make([]byte, 0, 4+len(scope)+len(key))
	b = binary.BigEndian.AppendUint16(b, uint16(len(scope)))
	b = append(b, scope...)
	return append(b, key...)
}

// get returns the remembered response for (scope, key), if any and fresh.
func (s *IdempotencyStore) get(scope, key string) (*storedResponse, error) {
	k := idemKey(scope, key)
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency get: %w", err)
	}
	var rec storedResponse
	err = json.Unmarshal(v, &rec)
	_ = closer.Close()
	if err != nil {
		return nil, fmt.Errorf("idempotency record %q: %w", key, err)
	}
	if s.now().Sub(rec.Created) > s.ttl {
		if err := s.db.Delete(k, pebble.Sync); err != nil {
			return nil, fmt.Errorf("idempotency expire: %w", err)
		}
		return nil, nil
	}
	return &rec, nil
}

// put remembers a response durably before it is sent.
func (s *IdempotencyStore) put(scope, key string, rec *storedResponse) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("idempotency encode: %w", err)
	}
	if err := s.db.Set(idemKey(scope, key), v, pebble.Sync); err != nil {
		return fmt.Errorf("idempotency put: %w", err)
	}
	return nil
}
