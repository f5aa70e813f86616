package backtest_test

import (
	"context"
	"testing"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
)

// checkHistory records a history of the given number of failed invoices
// of the default world's training population under the default preset,
// as backtest check records its history (30% of retries explored).
func checkHistory(t *testing.T, seed uint64, invoices int) *smartsim.Recorded {
	t.Helper()
	w, err := simulator.OpenWorld("b2c_us", datasets.World)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := smartsim.History(context.Background(), w, smartsim.HistoryOptions{Seed: seed, Pop: simulator.PopTraining, First: smartsim.CheckHistoryFirst,
		Invoices: invoices, Preset: domain.DefaultPresetSpec(), Explore: 0.3, Near: smartsim.DefaultNear})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// fixedAndSmart is a fixed-schedule candidate and the smart candidate of
// backtest check.
func fixedAndSmart() (fixed, smart domain.PresetSpec) {
	for _, c := range smartsim.CheckCandidates() {
		if c.SmartRetries {
			smart = c
		} else {
			fixed = c
		}
	}
	return fixed, smart
}
