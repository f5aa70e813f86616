package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/recoupledger/recoup/eventstore/kurrent"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/internal/storebench"
)

// kurrentURLEnv names the KurrentDB server the kurrent figures are
// measured on; without it the suite measures nothing.
const kurrentURLEnv = "RECOUP_KURRENTDB_URL"

// The suite files its figure under the store suite's name, so that
// `recoup bench --only store` shows both backends side by side.
func init() { bench.Register("store.kurrent", benchKurrent) }

// benchKurrent measures concurrent appends on a KurrentDB server, with the
// embedded store's figure from the same run as the baseline. The bench
// streams it writes ("bench-…") stay on the server.
func benchKurrent(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	url := os.Getenv(kurrentURLEnv)
	if url == "" {
		env.Log.Info("bench: store.kurrent skipped: set " + kurrentURLEnv + " to a KurrentDB server to measure it")
		return nil, nil
	}
	phase := 8 * time.Second
	if env.Quick {
		phase = 2 * time.Second
	}
	m, err := kurrentAppendConcurrent(ctx, url, 64, phase)
	if err != nil {
		return nil, err
	}
	pebbleFigure, _ := env.Figure("store.append.concurrent64")
	env.Log.Info("bench: store.kurrent.append.concurrent64", "events", m.Events, "elapsed", m.Elapsed)
	return []bench.Result{bench.WithBaseline("store.kurrent.append.concurrent64", m.PerSecond(), "events/s", pebbleFigure)}, nil
}

// kurrentAppendConcurrent runs the store suite's concurrent-append loop
// (goroutines each appending one event at a time to a stream of their
// own, expected revision Exact) on the server at url for phase.
func kurrentAppendConcurrent(ctx context.Context, url string, goroutines int, phase time.Duration) (storebench.Measured, error) {
	s, err := kurrent.Open(ctx, url, kurrent.Options{})
	if err != nil {
		return storebench.Measured{}, fmt.Errorf("open %s: %w", kurrentURLEnv, err)
	}
	defer s.Close()
	m, err := storebench.AppendConcurrent(ctx, s, goroutines, storebench.Budget{Deadline: time.Now().Add(phase)})
	if err != nil {
		return m, fmt.Errorf("concurrent appends to KurrentDB: %w", err)
	}
	return m, nil
}
