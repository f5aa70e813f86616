package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/smartretry"
)

// Helpers shared by train, recommend and backtest.

// defaultModelPath is where train writes and the others read a model when
// no path is given: beside the data directory's stores.
func defaultModelPath(dir string) string { return filepath.Join(dir, "model.json") }

// stderrIsTerminal decides whether to draw progress bars.
func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws a bar on stderr when it is a terminal; the returned
// update function is safe to call from several goroutines, and done
// waits for the bar to finish drawing.
func progressBar(ctx context.Context, name string, total int64) (update func(n, total int64), done func()) {
	if !stderrIsTerminal() {
		return func(int64, int64) {}, func() {}
	}
	p := mpb.NewWithContext(ctx, mpb.WithOutput(os.Stderr), mpb.WithWidth(48))
	bar := p.AddBar(total,
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace}), decor.CountersNoUnit("%d / %d")),
		mpb.AppendDecorators(decor.Percentage()),
	)
	update = func(n, t int64) {
		if t > 0 {
			bar.SetTotal(t, false)
		}
		bar.SetCurrent(n)
	}
	done = func() {
		bar.SetTotal(-1, true)
		p.Wait()
	}
	return update, done
}

// openLedger scans the event store the store flags choose (the data
// directory's by default) into a Ledger. The store is opened for the
// scan only and closed before returning.
func openLedger(ctx context.Context, store *backend.Flags, dir string) (*smartretry.Ledger, error) {
	st, err := openLedgerStore(ctx, store, dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	update, done := progressBar(ctx, "reading events", 0)
	l, err := smartretry.ScanLedger(ctx, st, func(n int) { update(int64(n), int64(n)+1) })
	done()
	if err != nil {
		return nil, err
	}
	return l, nil
}

// openLedgerStore opens an existing ledger for the commands that read one
// (train, recommend, backtest, rebuild, query): the embedded store of the
// data directory, or the KurrentDB server of --kurrentdb-url.
func openLedgerStore(ctx context.Context, store *backend.Flags, dir string) (eventstore.Store, error) {
	if store == nil {
		store = &backend.Flags{Store: string(backend.Pebble)}
	}
	if dir == "" && store.Store != string(backend.KurrentDB) {
		return nil, fmt.Errorf("--data: a data directory is required (or --store kurrentdb with --kurrentdb-url)")
	}
	st, err := openEventStore(ctx, store, dir, true)
	if err != nil {
		if strings.Contains(err.Error(), "has no event store") {
			return nil, fmt.Errorf("--data: %w; create one with `recoup simulate` or `recoup import`", err)
		}
		return nil, err
	}
	return st, nil
}

// loadModel reads a model file of either family, naming the flag in
// errors.
func loadModel(path string) (*smartretry.Loaded, error) {
	l, err := smartretry.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	return l, nil
}

// printMetrics writes held-out metrics and the calibration table.
func printMetrics(w io.Writer, s smartretry.Summary) {
	fmt.Fprintf(w, "rows: %d (train %d, held out %d)   fit: %d iterations, %s\n", s.Rows, s.TrainRows, s.TestRows, s.Fit.Iterations, s.Fit.Status)
	printHeldOut(w, s.Test)
}

// printHeldOut writes held-out metrics and the calibration table by decile.
func printHeldOut(w io.Writer, m smartretry.Metrics) {
	fmt.Fprintf(w, "held-out: base rate %.4f  log-loss %.4f  Brier %.4f  AUC %.4f\n", m.BaseRate, m.LogLoss, m.Brier, m.AUC)
	fmt.Fprintf(w, "calibration by decile of prediction:\n")
	fmt.Fprintf(w, "  %-6s %8s %10s %10s %8s\n", "decile", "rows", "predicted", "observed", "gap pp")
	for i, d := range m.Calibration {
		fmt.Fprintf(w, "  %-6d %8d %10.4f %10.4f %8.2f\n", i+1, d.Rows, d.Predicted, d.Observed, 100*(d.Observed-d.Predicted))
	}
	fmt.Fprintf(w, "largest gap in deciles of %d+ rows: %.2f pp\n", smartretry.CalibrationMinRows, 100*m.MaxGap)
}
