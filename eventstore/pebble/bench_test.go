package pebble_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/storebench"
)

// The loops are shared with `recoup bench` (internal/storebench); these
// wrap them in testing.B so they run under -bench, -cpuprofile and
// -benchtime. Each reports events/s.

func openBench(b *testing.B) *pebble.Store {
	b.Helper()
	s, err := pebble.Open(filepath.Join(b.TempDir(), "store"), pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func report(b *testing.B, m storebench.Measured, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(m.PerSecond(), "events/s")
}

func BenchmarkAppendConcurrent64(b *testing.B) {
	s := openBench(b)
	b.ResetTimer()
	m, err := storebench.AppendConcurrent(context.Background(), s, 64, storebench.Budget{Events: b.N})
	report(b, m, err)
}

func BenchmarkRawConcurrent64(b *testing.B) {
	db, err := storebench.OpenRaw(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	m, err := storebench.RawConcurrent(context.Background(), db, 64, storebench.Budget{Events: b.N})
	report(b, m, err)
}

// The bulk benchmarks count one op per append of 1000 events.
func BenchmarkAppendBulk1000(b *testing.B) {
	s := openBench(b)
	b.ResetTimer()
	m, err := storebench.AppendBulk(context.Background(), s, 1000, storebench.Budget{Events: b.N * 1000})
	report(b, m, err)
}

func BenchmarkRawBulk1000(b *testing.B) {
	db, err := storebench.OpenRaw(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	m, err := storebench.RawBulk(context.Background(), db, 1000, storebench.Budget{Events: b.N * 1000})
	report(b, m, err)
}

// filled opens a store holding n events, written before the timer starts.
func filled(b *testing.B, n int) *pebble.Store {
	s := openBench(b)
	if err := storebench.Fill(context.Background(), s, n); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkReadAll(b *testing.B) {
	s := filled(b, 200_000)
	b.ResetTimer()
	var total storebench.Measured
	for b.Loop() {
		m, err := storebench.ReadAll(context.Background(), s, 4096)
		if err != nil {
			b.Fatal(err)
		}
		total.Events += m.Events
		total.Elapsed += m.Elapsed
	}
	report(b, total, nil)
}

func BenchmarkSubscribeCatchUp(b *testing.B) {
	s := filled(b, 200_000)
	b.ResetTimer()
	var total storebench.Measured
	for b.Loop() {
		m, err := storebench.SubscribeCatchUp(context.Background(), s, 200_000)
		if err != nil {
			b.Fatal(err)
		}
		total.Events += m.Events
		total.Elapsed += m.Elapsed
	}
	total.Elapsed = max(total.Elapsed, time.Nanosecond)
	report(b, total, nil)
}

func BenchmarkRawIterate(b *testing.B) {
	db, err := storebench.OpenRaw(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := storebench.RawBulk(context.Background(), db, 1000, storebench.Budget{Events: 200_000}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total storebench.Measured
	for b.Loop() {
		m, _, err := storebench.RawIterate(db)
		if err != nil {
			b.Fatal(err)
		}
		total.Events += m.Events
		total.Elapsed += m.Elapsed
	}
	report(b, total, nil)
}
