package projections_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/projbench"
	"github.com/recoupledger/recoup/internal/storebench"
)

// benchSize reads a size from the environment (for runs at the issue's
// scale: RECOUP_BENCH_EVENTS=1000000, RECOUP_BENCH_ROWS=10000000).
func benchSize(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func filledStore(b *testing.B, n int) *pebble.Store {
	b.Helper()
	s, err := pebble.Open(filepath.Join(b.TempDir(), "events"), pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := projbench.Fill(context.Background(), s, n, 1); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRebuildReadModel reports events/s rebuilding the read models
// and, as readall_events/s, the store's $all read of the same log.
func BenchmarkRebuildReadModel(b *testing.B) {
	ctx := context.Background()
	s := filledStore(b, benchSize("RECOUP_BENCH_EVENTS", 100_000))
	read, err := storebench.ReadAll(ctx, s, 1000)
	if err != nil {
		b.Fatal(err)
	}
	var m projbench.Measured
	for b.Loop() {
		if m, err = projbench.RebuildReadModel(ctx, s, b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(m.PerSecond(), "events/s")
	b.ReportMetric(read.PerSecond(), "readall_events/s")
	b.ReportMetric(m.PerSecond()/read.PerSecond(), "ratio")
}

// BenchmarkRebuildAnalytics reports events/s rebuilding the DuckDB tables
// and the raw Appender writing the same rows.
func BenchmarkRebuildAnalytics(b *testing.B) {
	ctx := context.Background()
	s := filledStore(b, benchSize("RECOUP_BENCH_EVENTS", 50_000))
	var m, raw projbench.Measured
	var err error
	for b.Loop() {
		dir := b.TempDir()
		if m, err = projbench.RebuildAnalytics(ctx, s, filepath.Join(dir, "a.duckdb")); err != nil {
			b.Fatal(err)
		}
		if raw, err = projbench.RawAppender(ctx, filepath.Join(dir, "a.duckdb"), filepath.Join(dir, "raw.duckdb"), m.Events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(m.PerSecond(), "events/s")
	b.ReportMetric(raw.PerSecond(), "raw_events/s")
	b.ReportMetric(m.PerSecond()/raw.PerSecond(), "ratio")
}

// BenchmarkRecoveryByCode reports the recovery query by decline code over
// RECOUP_BENCH_ROWS attempt rows (1,000,000 by default).
func BenchmarkRecoveryByCode(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "a.duckdb")
	if err := projbench.RecoveryRows(ctx, path, benchSize("RECOUP_BENCH_ROWS", 1_000_000)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, _, err := projbench.RecoveryByCode(ctx, path, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(d.Milliseconds()), "ms/query")
	}
}
