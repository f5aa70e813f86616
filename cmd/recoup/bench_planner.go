package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/recoupledger/recoup/smartretry"
)

// benchReminderValue is a trained model's reminder value (the demo's
// ledger gives about 1.1e-4 per hour).
const benchReminderValue = 1.1e-4

// benchLogistic is a logistic model over fixed pseudo-random weights with
// a realistic intercept (about 12% success before the other features):
// the cost of scoring and optimizing does not depend on the weights'
// values.
func benchLogistic() *smartretry.Logistic {
	names := smartretry.FeatureNames()
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, len(names))
	for i, n := range names {
		w[i] = (rng.Float64() - 0.5) * 0.6
		if n == "bias" {
			w[i] = -2
		}
	}
	return smartretry.NewLogistic(w, smartretry.ModelVersion(w))
}

// benchModel is a model file of the family `recoup train` writes by
// default, the mixture (fitted on smartretry.WorkloadMixture's invoices,
// with benchLogistic as its fallback), read back through the loader that
// serve uses, so the benchmarks plan with what the server ships.
func benchModel(ctx context.Context) (*smartretry.Loaded, error) {
	mix, err := smartretry.WorkloadMixture(ctx, 1)
	if err != nil {
		return nil, fmt.Errorf("bench model: %w", err)
	}
	lf := smartretry.NewModelFile(benchLogistic(), smartretry.Summary{})
	lf.ReminderValue = benchReminderValue
	mf, err := smartretry.NewMixtureFile(mix, lf, smartretry.MixtureSummary{})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(mf)
	if err != nil {
		return nil, err
	}
	return smartretry.Decode(b)
}
