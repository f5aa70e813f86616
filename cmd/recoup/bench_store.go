package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/internal/storebench"
)

func init() { bench.Register("store", benchStore) }

// storeBenchPlan sizes the store suite: each figure is measured beside its
// raw Pebble baseline on the same disk, alternating so drift hits both.
type storeBenchPlan struct {
	phase    time.Duration // per append measurement
	readSize int           // events in the log for the read figures
}

func planFor(quick bool) storeBenchPlan {
	if quick {
		return storeBenchPlan{phase: 2 * time.Second, readSize: 300_000}
	}
	return storeBenchPlan{phase: 8 * time.Second, readSize: 1_000_000}
}

func benchStore(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	plan := planFor(env.Quick)
	raw, err := storebench.OpenRaw(filepath.Join(env.Dir, "store-raw"))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	s, err := pebble.Open(filepath.Join(env.Dir, "store"), pebble.Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	deadline := func() storebench.Budget { return storebench.Budget{Deadline: time.Now().Add(plan.phase)} }

	var rows []bench.Result
	rawC, err := storebench.RawConcurrent(ctx, raw, 64, deadline())
	if err != nil {
		return nil, fmt.Errorf("raw concurrent commits: %w", err)
	}
	storeC, err := storebench.AppendConcurrent(ctx, s, 64, deadline())
	if err != nil {
		return nil, fmt.Errorf("concurrent appends: %w", err)
	}
	rows = append(rows, bench.WithBaseline("store.append.concurrent64", storeC.PerSecond(), "events/s", rawC.PerSecond()))
	env.Log.Info("bench: store.append.concurrent64", "store_events", storeC.Events, "raw_events", rawC.Events)

	rawB, err := storebench.RawBulk(ctx, raw, 1000, deadline())
	if err != nil {
		return rows, fmt.Errorf("raw bulk commits: %w", err)
	}
	storeB, err := storebench.AppendBulk(ctx, s, 1000, deadline())
	if err != nil {
		return rows, fmt.Errorf("bulk appends: %w", err)
	}
	rows = append(rows, bench.WithBaseline("store.append.bulk1000", storeB.PerSecond(), "events/s", rawB.PerSecond()))

	// Bring both logs to the same size, then read them whole.
	have := storeC.Events + storeB.Events
	if err := storebench.Fill(ctx, s, max(0, plan.readSize-have)); err != nil {
		return rows, fmt.Errorf("fill store: %w", err)
	}
	if _, err := storebench.RawBulk(ctx, raw, 1000, storebench.Budget{Events: max(0, plan.readSize-rawC.Events-rawB.Events)}); err != nil {
		return rows, fmt.Errorf("fill raw: %w", err)
	}
	rawR, _, err := storebench.RawIterate(raw)
	if err != nil {
		return rows, fmt.Errorf("raw iteration: %w", err)
	}
	storeR, err := storebench.ReadAll(ctx, s, 1000)
	if err != nil {
		return rows, fmt.Errorf("read $all: %w", err)
	}
	rows = append(rows, bench.WithBaseline("store.readall", storeR.PerSecond(), "events/s", rawR.PerSecond()))
	env.Log.Info("bench: store.readall", "store_events", storeR.Events, "raw_keys", rawR.Events)

	storeS, err := storebench.SubscribeCatchUp(ctx, s, storeR.Events)
	if err != nil {
		return rows, fmt.Errorf("subscribe catch-up: %w", err)
	}
	rows = append(rows, bench.WithBaseline("store.subscribe.catchup", storeS.PerSecond(), "events/s", storeR.PerSecond()))
	return rows, nil
}
