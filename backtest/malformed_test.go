package backtest_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// nanOutcome is a model that answers NaN, as smartretry.Mixture.Chance
// does for tables that do not fit its layout.
type nanOutcome struct{}

func (nanOutcome) Chance(*smartretry.Case, time.Time, []float64) float64 { return math.NaN() }

// A malformed model is an error, not a number: a mixture built in code
// whose tables do not fit is refused by Run up front, naming the field,
// and a chance that is not a probability stops an estimate.
func TestMalformedModelIsAnError(t *testing.T) {
	ctx := context.Background()
	rec := checkHistory(t, 4, 200)
	model := smartretry.NewLogistic(make([]float64, len(smartretry.FeatureNames())), "zero")
	// A fixed schedule never plans with the mixture, so only the check
	// up front can refuse it; a smart candidate would plan with it.
	fixed, smart := fixedAndSmart()
	for _, tt := range []struct {
		name  string
		mix   *smartretry.Mixture
		field string
	}{
		{"no tables", &smartretry.Mixture{}, "mixture.Hazard"},
		{"short hazards", &smartretry.Mixture{Hazard: []float64{0.1, 0.2}}, "mixture.Hazard"},
		{"bad hour", &smartretry.Mixture{DepositHour: 24}, "mixture.DepositHour"},
	} {
		for _, cand := range []domain.PresetSpec{fixed, smart} {
			t.Run(tt.name, func(t *testing.T) {
				cfg := backtest.Config{Ledger: rec.Ledger, Scorer: model, Mixture: tt.mix, Rules: smartretry.NetworkRules, Candidate: cand, Bootstrap: 10, Seed: 1}
				res, err := backtest.Run(ctx, cfg)
				if err == nil {
					t.Fatalf("Run (smart %v) = %+v, want an error", cand.SmartRetries, res)
				}
				if !strings.Contains(err.Error(), "backtest: Mixture:") || !strings.Contains(err.Error(), tt.field) {
					t.Fatalf("Run (smart %v) = %v, want it refused up front naming %s", cand.SmartRetries, err, tt.field)
				}
			})
		}
	}

	pop := backtest.Population(rec.Ledger)
	if len(pop) == 0 {
		t.Fatal("the history has no failed invoices")
	}
	e := &backtest.Estimator{Ledger: rec.Ledger, Outcome: nanOutcome{}, Customer: backtest.EstimateCustomerHazard(rec.Ledger, pop), Rules: smartretry.NetworkRules}
	x, err := e.Expect(ctx, &pop[0], domain.DefaultPresetSpec())
	if err == nil || !strings.Contains(err.Error(), "not a probability") {
		t.Fatalf("Expect with NaN chances = %+v, %v; want an error", x, err)
	}
}
