package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	eventpebble "github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/internal/storebench"
)

func init() { bench.Register("store", benchStore) }

// storeBenchPlan sizes the store suite.
type storeBenchPlan struct {
	phase    time.Duration // per append figure, split between store and baseline
	rounds   int           // alternations of store and baseline within a phase
	readSize int           // events in each log for the read figures
	passes   int           // timed read passes after one warm-up pass
}

func planFor(quick bool) storeBenchPlan {
	if quick {
		return storeBenchPlan{phase: 3 * time.Second, rounds: 3, readSize: 200_000, passes: 2}
	}
	return storeBenchPlan{phase: 16 * time.Second, rounds: 8, readSize: 1_000_000, passes: 3}
}

// benchStore measures the embedded store against raw Pebble on the same
// disk, configured alike (memtable, cache, filters, block size). Store and
// baseline alternate in short rounds so that load from elsewhere on the
// machine hits both alike.
func benchStore(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	plan := planFor(env.Quick)
	env.Log.Info("bench: store suite", "load", loadAverage())
	raw, err := storebench.OpenRaw(filepath.Join(env.Dir, "store-raw"))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	s, err := eventpebble.Open(filepath.Join(env.Dir, "store"), eventpebble.Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()

	slot := plan.phase / time.Duration(2*plan.rounds)
	alternate := func(store, base func(storebench.Budget) (storebench.Measured, error)) (st, bs storebench.Measured, err error) {
		for range plan.rounds {
			m, err := base(storebench.Budget{Deadline: time.Now().Add(slot)})
			if err != nil {
				return st, bs, fmt.Errorf("baseline: %w", err)
			}
			bs = bs.Add(m)
			if m, err = store(storebench.Budget{Deadline: time.Now().Add(slot)}); err != nil {
				return st, bs, fmt.Errorf("store: %w", err)
			}
			st = st.Add(m)
		}
		return st, bs, nil
	}

	var rows []bench.Result
	storeC, rawC, err := alternate(
		func(b storebench.Budget) (storebench.Measured, error) {
			return storebench.AppendConcurrent(ctx, s, 64, b)
		},
		func(b storebench.Budget) (storebench.Measured, error) {
			return storebench.RawConcurrent(ctx, raw, 64, b)
		})
	if err != nil {
		return nil, fmt.Errorf("store.append.concurrent64: %w", err)
	}
	rows = append(rows, bench.WithBaseline("store.append.concurrent64", storeC.PerSecond(), "events/s", rawC.PerSecond()))

	storeB, rawB, err := alternate(
		func(b storebench.Budget) (storebench.Measured, error) { return storebench.AppendBulk(ctx, s, 1000, b) },
		func(b storebench.Budget) (storebench.Measured, error) { return storebench.RawBulk(ctx, raw, 1000, b) })
	if err != nil {
		return rows, fmt.Errorf("store.append.bulk1000: %w", err)
	}
	rows = append(rows, bench.WithBaseline("store.append.bulk1000", storeB.PerSecond(), "events/s", rawB.PerSecond()))

	readRows, err := benchStoreReads(ctx, env, plan, s, raw, storeC.Events+storeB.Events, rawC.Events+rawB.Events)
	return append(rows, readRows...), err
}

// benchStoreReads brings both logs to plan.readSize entries, then times
// full forward reads (after one warm-up pass each) and a catch-up
// subscription from the start.
func benchStoreReads(ctx context.Context, env *bench.Env, plan storeBenchPlan, s *eventpebble.Store, raw *pebble.DB, storeHas, rawHas int) ([]bench.Result, error) {
	if err := storebench.Fill(ctx, s, max(0, plan.readSize-storeHas)); err != nil {
		return nil, fmt.Errorf("fill store: %w", err)
	}
	if _, err := storebench.RawBulk(ctx, raw, 1000, storebench.Budget{Events: max(0, plan.readSize-rawHas)}); err != nil {
		return nil, fmt.Errorf("fill raw: %w", err)
	}
	var storeR, rawR storebench.Measured
	for pass := range plan.passes + 1 {
		rm, _, err := storebench.RawIterate(raw)
		if err != nil {
			return nil, fmt.Errorf("raw iteration: %w", err)
		}
		sm, err := storebench.ReadAll(ctx, s, 4096)
		if err != nil {
			return nil, fmt.Errorf("read $all: %w", err)
		}
		if pass > 0 { // the first pass warms caches for both
			rawR, storeR = rawR.Add(rm), storeR.Add(sm)
		}
	}
	env.Log.Info("bench: store.readall", "store_events", storeR.Events/plan.passes, "raw_keys", rawR.Events/plan.passes, "load", loadAverage())
	rows := []bench.Result{bench.WithBaseline("store.readall", storeR.PerSecond(), "events/s", rawR.PerSecond())}
	catchUp, err := storebench.SubscribeCatchUp(ctx, s, storeR.Events/plan.passes)
	if err != nil {
		return rows, fmt.Errorf("subscribe catch-up: %w", err)
	}
	// Baseline: reading the same log with ReadAll, the same work without
	// the subscription's filtering and checkpoints.
	return append(rows, bench.WithBaseline("store.subscribe.catchup", catchUp.PerSecond(), "events/s", storeR.PerSecond())), nil
}

// loadAverage reports the machine's 1-minute load average, which says
// how much of it the run had, or "" where it is not known.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
