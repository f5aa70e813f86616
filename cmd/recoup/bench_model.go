package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// benchMixtureInvoices is the size of the history the benchmarks' mixture
// is fitted on: enough for every prior key and table of a trained model.
const benchMixtureInvoices = 6000

var benchMixture struct {
	once sync.Once
	p    *smartretry.MixturePlanner
	err  error
}

// benchMixturePlanner is the planner the server ships, as `serve` builds it
// from a model file (smartretry.Loaded.Planner): the latent-class mixture
// over the network rules with the default objective and the ledger's
// reminder value, the logistic planner as its fallback. The mixture is
// fitted on a small history of the default B2C world, once per process:
// the cost of a plan depends on the shape of the tables (how peaked the
// hazards are), so they are fitted, not drawn at random.
func benchMixturePlanner(ctx context.Context) (*smartretry.MixturePlanner, error) {
	benchMixture.once.Do(func() {
		m, err := simulator.OpenWorld("b2c_us", datasets.World)
		if err != nil {
			benchMixture.err = err
			return
		}
		rec, err := smartsim.History(ctx, m, smartsim.HistoryOptions{Seed: 1, Pop: simulator.PopTraining, First: smartsim.TrainingFirst,
			Invoices: benchMixtureInvoices, Preset: smartsim.HistoryPreset(), Explore: 0.3, Near: smartsim.DefaultNear})
		if err != nil {
			benchMixture.err = fmt.Errorf("bench model: history: %w", err)
			return
		}
		mix, err := smartretry.FitMixture(ctx, smartretry.MixtureSequences(rec.Ledger), smartretry.MixtureOptions{})
		if err != nil {
			benchMixture.err = fmt.Errorf("bench model: %w", err)
			return
		}
		obj := smartretry.DefaultObjective()
		obj.ReminderValue = smartretry.EstimateReminderValue(rec.Ledger)
		fb := benchPlanner()
		fb.Objective = obj
		p := smartretry.NewMixturePlanner(mix, fb, smartretry.NetworkRules)
		p.Objective = obj
		benchMixture.p = p
	})
	return benchMixture.p, benchMixture.err
}
