package smartsim

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// TrainMixture records the training history as Train does and trains on
// it exactly as `recoup train` does (smartretry.TrainFamily: the logistic
// model, the fallback for invoices whose card was updated, and the
// latent-class mixture), then reads the model file's bytes back with the
// loader that serve uses and returns its planner with the evaluation
// objective: what eval measures is what a user of the file gets.
func TrainMixture(ctx context.Context, m *simulator.Model, seed uint64, opt TrainOptions) (*smartretry.MixturePlanner, error) {
	rec, err := TrainingHistory(ctx, m, seed, opt)
	if err != nil {
		return nil, err
	}
	trained, err := smartretry.TrainFamily(ctx, rec.Ledger, smartretry.FamilyMixture, smartretry.TrainOptions{}, "eval")
	if err != nil {
		return nil, fmt.Errorf("smart mixture: %w", err)
	}
	b, err := json.Marshal(trained.MixtureFile)
	if err != nil {
		return nil, fmt.Errorf("smart mixture: %w", err)
	}
	lm, err := smartretry.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("smart mixture: %w", err)
	}
	obj := EvalObjective()
	obj.ReminderValue = lm.Objective().ReminderValue
	p, ok := lm.PlannerWith(obj, nil).(*smartretry.MixturePlanner)
	if !ok {
		return nil, fmt.Errorf("smart mixture: the model file is of family %s", lm.Family)
	}
	mix := lm.Mixture
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
