package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/internal/dunningbench"
)

func init() { bench.Register("dunning", benchDunning) }

// benchDunning measures dunning.engine.invoices_per_s: invoices taken
// through a full default-preset cycle (initial charge, three retries,
// pause, cancel, leave overdue) per second on a virtual clock, with a
// gateway that always declines and the Pebble store on the bench disk.
// Its baseline is the store's store.append.bulk1000 events/s from the
// same run divided by the events the engine writes per cycle: the rate
// the store could absorb the cycle's events at if written in bulk.
func benchDunning(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	n := 20_000
	if env.Quick {
		n = 3_000
	}
	bulk, ok := env.Figure("store.append.bulk1000")
	c, err := dunningbench.Run(ctx, filepath.Join(env.Dir, "dunning"), n)
	if err != nil {
		return nil, fmt.Errorf("dunning cycle: %w", err)
	}
	env.Log.Info("bench: dunning.engine.invoices_per_s", "invoices", c.Invoices, "events_per_invoice", c.EventsPerInvoice(),
		"elapsed", c.Elapsed, "flushes", c.Stats.Flushes, "flush_time", c.Stats.FlushTime, "flush_wait", c.Stats.FlushWait)
	baseline := 0.0
	if ok && c.EventsPerInvoice() > 0 {
		baseline = bulk / c.EventsPerInvoice()
	}
	return []bench.Result{bench.WithBaseline("dunning.engine.invoices_per_s", c.PerSecond(), "invoices/s", baseline)}, nil
}
