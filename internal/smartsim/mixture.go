package smartsim

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// TrainMixture records the training history as Train does, fits the
// logistic model (the fallback for invoices whose card was updated) and
// the latent-class mixture on the same ledger, and returns the mixture
// planner with the evaluation objective.
func TrainMixture(ctx context.Context, m *simulator.Model, seed uint64, opt TrainOptions) (*smartretry.MixturePlanner, error) {
	model, _, rec, err := Train(ctx, m, seed, opt)
	if err != nil {
		return nil, err
	}
	mix, err := smartretry.FitMixture(ctx, smartretry.MixtureSequences(rec.Ledger), smartretry.MixtureOptions{HoldOut: 5})
	if err != nil {
		return nil, fmt.Errorf("smart mixture: %w", err)
	}
	obj := EvalObjective()
	obj.ReminderValue = smartretry.EstimateReminderValue(rec.Ledger)
	fb := smartretry.NewPlanner(model, nil)
	fb.Objective = obj
	p := smartretry.NewMixturePlanner(mix, fb, nil)
	p.Objective = obj
	slog.Info("smart mixture: fitted on the world's training history", "deposit_hour", mix.DepositHour, "held_out_rows", mix.Test.Rows,
		"auc", mix.Test.AUC, "log_loss", mix.Test.LogLoss, "max_calibration_gap", mix.Test.MaxGap)
	return p, nil
}

// EvalMixturePlanner is the latent-class smart policy for `recoup eval`,
// under name: trained like EvalPlanner's on a history of the world's
// training population.
func EvalMixturePlanner(name string, opt TrainOptions) simulator.NamedPlanner {
	return trainedPolicy(name, func(ctx context.Context, m *simulator.Model, seed uint64) (dunning.RetryPlanner, error) {
		p, err := TrainMixture(ctx, m, seed, opt)
		if err != nil {
			return nil, err
		}
		return p, nil
	})
}
