package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// BenchmarkReplayDefaultPreset is simulator.replay.invoices_per_s: failed
// invoices drawn and taken through the Metrifox default preset, rules
// checked, per second on one core.
func BenchmarkReplayDefaultPreset(b *testing.B) {
	m := defaultWorld(b, "b2c_us")
	budget := Budget{3, 7}
	p, _ := FromPreset("default", domain.DefaultPresetSpec(), budget)
	pop := &Population{M: m, Seed: 1, Pop: PopHeldOut}
	rp := &Replayer{M: m}
	i := uint64(0)
	for b.Loop() {
		rp.Run(pop.Case(i), p, budget)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// BenchmarkReplayOracle measures the Bayes oracle at the larger budget.
func BenchmarkReplayOracle(b *testing.B) {
	m := defaultWorld(b, "b2c_us")
	budget := Budget{8, 14}
	pop := &Population{M: m, Seed: 1, Pop: PopHeldOut}
	rp := &Replayer{M: m}
	or := &Oracle{M: m}
	i := uint64(0)
	for b.Loop() {
		rp.Run(pop.Case(i), or, budget)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// BenchmarkSimulate is simulator.simulate.events_per_s: events written
// per second by Simulate (world facts and the engine's decisions into
// Pebble on disk). `recoup bench` sets it beside store.append.bulk1000.
func BenchmarkSimulate(b *testing.B) {
	m := defaultWorld(b, "b2c_us")
	opt := SimOptions{Seed: 1, Customers: 5000, Days: 7, Step: time.Hour}
	events := 0
	for b.Loop() {
		st, err := Simulate(context.Background(), m, b.TempDir(), opt)
		if err != nil {
			b.Fatal(err)
		}
		events += st.WorldEvents + st.EngineEvents
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
