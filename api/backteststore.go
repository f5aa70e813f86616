package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/internal/pebblelog"
)

// BacktestStore keeps backtest jobs (request, status, result) in a small
// Pebble database of their own, so that a job's answer outlives the
// server that computed it. Like the idempotency store, it holds no ledger
// facts and is never projected.
//
// Every state change is written with a synced commit before it is shown:
// a job that a client saw as queued or running is on disk as such, so a
// server killed mid-job finds it on restart and reports it failed
// (interrupted) instead of forgetting it.
type BacktestStore struct {
	db *pebble.DB
}

// OpenBacktestStore opens (or creates) the store in dir.
func OpenBacktestStore(dir string) (*BacktestStore, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: pebblelog.Quiet})
	if err != nil {
		return nil, fmt.Errorf("open backtest store %s: %w", dir, err)
	}
	return &BacktestStore{db: db}, nil
}

// Close closes the database.
func (s *BacktestStore) Close() error { return s.db.Close() }

func backtestKey(id string) []byte { return append([]byte("job/"), id...) }

// put writes a job's current view.
func (s *BacktestStore) put(v *Backtest) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("backtest store: encode %s: %w", v.ID, err)
	}
	if err := s.db.Set(backtestKey(v.ID), b, pebble.Sync); err != nil {
		return fmt.Errorf("backtest store: write %s: %w", v.ID, err)
	}
	return nil
}

// remove forgets a job.
func (s *BacktestStore) remove(id string) error {
	if err := s.db.Delete(backtestKey(id), pebble.Sync); err != nil {
		return fmt.Errorf("backtest store: delete %s: %w", id, err)
	}
	return nil
}

// load returns every stored job, oldest first. A record that does not
// decode is an error: the store is ours, so it means corruption, and
// silently dropping a job would be worse than refusing to start.
func (s *BacktestStore) load() ([]Backtest, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("job/"), UpperBound: []byte("job0")})
	if err != nil {
		return nil, fmt.Errorf("backtest store: %w", err)
	}
	var out []Backtest
	for it.First(); it.Valid(); it.Next() {
		var v Backtest
		if err := json.Unmarshal(it.Value(), &v); err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("backtest store: record %q: %w", it.Key(), err)
		}
		out = append(out, v)
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, fmt.Errorf("backtest store: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}
