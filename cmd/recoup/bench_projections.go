package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/internal/projbench"
	"github.com/recoupledger/recoup/internal/storebench"
)

func init() {
	bench.Register("projections", benchProjections)
	bench.Register("analytics", benchAnalytics)
}

// projectionsPlan sizes the projections suite. The read-model figure is
// stated for at least 1,000,000 events; quick mode uses fewer. The
// analytics baseline holds every row in memory, so that figure uses a
// smaller log.
type projectionsPlan struct {
	readModelEvents, analyticsEvents, attemptRows int
}

func projectionsPlanFor(quick bool) projectionsPlan {
	if quick {
		return projectionsPlan{readModelEvents: 150_000, analyticsEvents: 30_000, attemptRows: 1_000_000}
	}
	return projectionsPlan{readModelEvents: 1_000_000, analyticsEvents: 200_000, attemptRows: 10_000_000}
}

// benchProjections measures rebuilds: the read models against reading the
// same $all with the store.readall loop, the analytics tables against the
// raw DuckDB Appender writing the same rows.
func benchProjections(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	plan := projectionsPlanFor(env.Quick)
	s, err := pebble.Open(filepath.Join(env.Dir, "projections-events"), pebble.Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	n, err := projbench.Fill(ctx, s, plan.readModelEvents, 1)
	if err != nil {
		return nil, err
	}
	env.Log.Info("bench: projections: ledger filled", "events", n)
	read, err := storebench.ReadAll(ctx, s, 1000)
	if err != nil {
		return nil, fmt.Errorf("read $all: %w", err)
	}
	rm, err := projbench.RebuildReadModel(ctx, s, filepath.Join(env.Dir, "projections-readmodel"))
	if err != nil {
		return nil, fmt.Errorf("rebuild read models: %w", err)
	}
	rows := []bench.Result{bench.WithBaseline("projections.rebuild.readmodel", rm.PerSecond(), "events/s", read.PerSecond())}

	small, err := pebble.Open(filepath.Join(env.Dir, "projections-events-small"), pebble.Options{})
	if err != nil {
		return rows, err
	}
	defer small.Close()
	if _, err := projbench.Fill(ctx, small, plan.analyticsEvents, 2); err != nil {
		return rows, err
	}
	path := filepath.Join(env.Dir, "projections-analytics.duckdb")
	an, err := projbench.RebuildAnalytics(ctx, small, path)
	if err != nil {
		return rows, fmt.Errorf("rebuild analytics: %w", err)
	}
	raw, err := projbench.RawAppender(ctx, path, filepath.Join(env.Dir, "projections-raw.duckdb"), an.Events)
	if err != nil {
		return rows, fmt.Errorf("raw appender: %w", err)
	}
	return append(rows, bench.WithBaseline("projections.rebuild.analytics", an.PerSecond(), "events/s", raw.PerSecond())), nil
}

// benchAnalytics times the recovery query by decline code over attempt
// rows appended directly (10,000,000; 1,000,000 in quick mode).
func benchAnalytics(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	plan := projectionsPlanFor(env.Quick)
	path := filepath.Join(env.Dir, "analytics-attempts.duckdb")
	start := time.Now()
	if err := projbench.RecoveryRows(ctx, path, plan.attemptRows); err != nil {
		return nil, fmt.Errorf("append attempt rows: %w", err)
	}
	env.Log.Info("bench: analytics: attempt rows appended", "rows", plan.attemptRows, "elapsed", time.Since(start))
	d, _, err := projbench.RecoveryByCode(ctx, path, 5)
	if err != nil {
		return nil, err
	}
	return []bench.Result{{Name: "analytics.recovery_by_code", Value: float64(d.Microseconds()) / 1000, Unit: "ms"}}, nil
}
