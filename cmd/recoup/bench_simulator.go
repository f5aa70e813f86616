package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/simulator"
)

func init() { bench.Register("simulator", benchSimulator) }

// benchSimulator measures the simulator:
//   - simulator.replay.invoices_per_s: failed invoices of the default B2C
//     world drawn and taken through the Metrifox default preset (network
//     rules checked on every attempt) per second, on one goroutine, so
//     per core. Target ≥ 50,000.
//   - simulator.simulate.events_per_s: events written per second by
//     simulate (world facts and the engine's decisions, into Pebble) for
//     20,000 customers over 14 days (5,000 over 7 with --quick). Baseline:
//     store.append.bulk1000. Target ratio ≥ 0.3.
func benchSimulator(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	m, err := simulator.OpenWorld("b2c_us", datasets.World)
	if err != nil {
		return nil, err
	}
	phase := 5 * time.Second
	if env.Quick {
		phase = 2 * time.Second
	}
	n, el, err := replayThroughput(ctx, m, phase)
	if err != nil {
		return nil, err
	}
	rows := []bench.Result{{Name: "simulator.replay.invoices_per_s", Value: float64(n) / el.Seconds(), Unit: "invoices/s"}}
	env.Log.Info("bench: simulator.replay.invoices_per_s", "invoices", n, "seconds", el.Seconds())

	opt := simulator.SimOptions{Seed: 1, Customers: 20000, Days: 14, Step: time.Hour}
	if env.Quick {
		opt.Customers, opt.Days = 5000, 7
	}
	start := time.Now()
	st, err := simulator.Simulate(ctx, m, filepath.Join(env.Dir, "simulate"), opt)
	if err != nil {
		return rows, fmt.Errorf("simulate: %w", err)
	}
	el = time.Since(start)
	events := st.WorldEvents + st.EngineEvents
	base, _ := env.Figure("store.append.bulk1000")
	rows = append(rows, bench.WithBaseline("simulator.simulate.events_per_s", float64(events)/el.Seconds(), "events/s", base))
	env.Log.Info("bench: simulator.simulate.events_per_s", "events", events, "seconds", el.Seconds(), "customers", opt.Customers, "days", opt.Days)
	return rows, nil
}

// replayThroughput replays invoices through the default preset for about
// phase.
func replayThroughput(ctx context.Context, m *simulator.Model, phase time.Duration) (int, time.Duration, error) {
	b := simulator.Budget{Retries: 3, WindowDays: 7}
	p, err := simulator.FromPreset("default", domain.DefaultPresetSpec(), b)
	if err != nil {
		return 0, 0, err
	}
	pop := &simulator.Population{M: m, Seed: 1, Pop: simulator.PopHeldOut}
	rp := &simulator.Replayer{M: m}
	start := time.Now()
	n := 0
	for time.Since(start) < phase {
		if err := ctx.Err(); err != nil {
			return n, time.Since(start), err
		}
		for range 1000 {
			rp.Run(pop.Case(uint64(n)), p, b)
			n++
		}
	}
	return n, time.Since(start), nil
}
