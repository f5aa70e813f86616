package smartsim

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// Backtests of preset changes, estimated from a recorded history under
// the default preset (with 30% of retries explored and their propensities
// logged), against the truth: the same invoices actually replayed under
// each candidate in the same world (common random numbers). The three
// fixed candidates must be covered by intervals narrower than ±2 points;
// the smart candidate is measured and logged.
func TestBacktestCoversTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("records, trains and replays a world")
	}
	ctx := context.Background()
	m := world(t, "b2c_us")
	rec, err := History(ctx, m, HistoryOptions{Seed: 9, Pop: simulator.PopTraining, First: 3_000_000, Invoices: 5000, Preset: domain.DefaultPresetSpec(), Explore: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	model, sum, err := smartretry.Train(ctx, rec.Ledger.Rows(), smartretry.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("model on %d rows: AUC %.3f", sum.Rows, sum.Test.AUC)
	preset := func(name string, sched ...int) domain.PresetSpec {
		p := domain.DefaultPresetSpec()
		p.Name, p.Schedule = name, sched
		return p
	}
	smart := domain.DefaultPresetSpec()
	smart.Name, smart.Schedule, smart.SmartRetries, smart.SmartMaxRetries, smart.SmartWindowDays = "smart", nil, true, 3, 7
	candidates := []domain.PresetSpec{
		preset("more retries", 1, 1, 1, 2, 2),
		preset("shorter window", 1, 1, 1),
		preset("later retries", 2, 2, 3),
	}
	if os.Getenv("RECOUP_SMARTSIM_FULL") != "" {
		candidates = append(candidates, smart) // about 20 s more
	}
	rp := &simulator.Replayer{M: m}
	for _, cand := range candidates {
		start := time.Now()
		res, err := backtest.Run(ctx, backtest.Config{Ledger: rec.Ledger, Scorer: model, Candidate: cand, Bootstrap: 400, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		retries, window := smartretry.Budget(cand)
		b := simulator.Budget{Retries: retries, WindowDays: int(window / (24 * time.Hour))}
		var pol simulator.Policy
		if cand.SmartRetries {
			pol = &simulator.Planner{Label: "smart", Func: PlannerFunc(smartretry.NewPlanner(model, nil)), Preset: cand}
		} else if pol, err = simulator.FromPreset(cand.Name, cand, b); err != nil {
			t.Fatal(err)
		}
		truth := 0
		for _, c := range rec.Cases {
			if rp.Run(c, pol, b).Recovered {
				truth++
			}
		}
		tr := 100 * float64(truth) / float64(len(rec.Cases))
		iv := res.Candidate.RecoveredPct
		half := (iv.Hi - iv.Lo) / 2
		t.Logf("%-15s estimate %.2f%% [%.2f, %.2f] (half-width %.2f pp), truth %.2f%%; baseline observed %.2f%%; %v",
			cand.Name, iv.Est, iv.Lo, iv.Hi, half, tr, res.Baseline.RecoveredPct.Est, time.Since(start).Round(time.Millisecond))
		if cand.SmartRetries {
			// The planner picks the hours where the model is most
			// optimistic, so the direct method overstates a smart preset
			// (the optimizer's curse); reported, not yet met. See the
			// closing note of issue 6.
			continue
		}
		if tr < iv.Lo || tr > iv.Hi {
			t.Errorf("%s: truth %.2f%% outside the 95%% interval [%.2f, %.2f]", cand.Name, tr, iv.Lo, iv.Hi)
		}
		if half >= 2 {
			t.Errorf("%s: interval half-width %.2f pp, want < 2", cand.Name, half)
		}
	}
}
