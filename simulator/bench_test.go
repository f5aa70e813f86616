package simulator

import (
	"testing"

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
