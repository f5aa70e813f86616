package smartsim

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// TrainingFirst is where training histories start in the training
// population, so they never share invoices with the fixed-schedule
// search's training cases (which start at 0) or the held-out population.
const TrainingFirst = 1_000_000

// HistoryPreset is the preset of the recorded training history: 8 retries
// over 14 days, so the history covers both evaluation budgets' windows.
func HistoryPreset() domain.PresetSpec {
	return domain.PresetSpec{Name: "history-8-in-14", RetriesEnabled: true, Schedule: []int{1, 1, 1, 2, 2, 2, 2, 3},
		DuringRecovery: domain.DuringPause, AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue}
}

// DefaultNear is the share of a recorded history's explored retries
// drawn from the day after the decision (HistoryOptions.Near).
const DefaultNear = 0.5

// TrainOptions size the training history.
type TrainOptions struct {
	Invoices int     // failed invoices in the history (default 50,000)
	Explore  float64 // exploration share of the history's retries (default 0.3)
	Near     float64 // share of explored retries tried within a day (default 0.5)
}

// Train records a training history of the world and fits the model on
// its ledger, exactly as `recoup train` does on a data directory.
func Train(ctx context.Context, m *simulator.Model, seed uint64, opt TrainOptions) (*smartretry.Logistic, smartretry.Summary, *Recorded, error) {
	rec, err := TrainingHistory(ctx, m, seed, opt)
	if err != nil {
		return nil, smartretry.Summary{}, nil, err
	}
	model, sum, err := smartretry.Train(ctx, rec.Ledger.Rows(), smartretry.TrainOptions{})
	if err != nil {
		return nil, sum, nil, fmt.Errorf("smart: %w", err)
	}
	return model, sum, rec, nil
}

// TrainingHistory records the history Train fits on: opt.Invoices failed
// invoices of the world's training population under HistoryPreset.
func TrainingHistory(ctx context.Context, m *simulator.Model, seed uint64, opt TrainOptions) (*Recorded, error) {
	if opt.Invoices <= 0 {
		opt.Invoices = 50000
	}
	if opt.Explore <= 0 {
		opt.Explore = 0.3
	}
	if opt.Near <= 0 {
		opt.Near = DefaultNear
	}
	return History(ctx, m, HistoryOptions{Seed: seed, Pop: simulator.PopTraining, First: TrainingFirst, Invoices: opt.Invoices, Preset: HistoryPreset(), Explore: opt.Explore, Near: opt.Near})
}

// EvalObjective is the planner's objective in evaluations, the quantity
// the evaluation measures and the Bayes oracle maximises: the chance of
// recovery within the window (customer payments included), with no
// attempt cost, since every policy is held to the same retry budget, and
// no discount for delay; hourly spacing (the network rules are the real
// limit), six candidate hours a day and the first eight allowed hours
// as candidates, so early attempts whose worth is mostly the reminder
// they send can be placed. The reminder value comes from the training
// ledger (see Objective).
func EvalObjective() smartretry.Objective {
	o := smartretry.DefaultObjective()
	o.AttemptCost = 0
	o.DailyDiscount = 0
	o.MinSpacing = time.Hour
	o.PerDay = 6
	o.Probes = 8
	return o
}

// PlannerFunc adapts a planner of either smart family to the simulator's
// planner policy.
func PlannerFunc(p dunning.RetryPlanner) simulator.PlannerFunc {
	return func(rc domain.RetryContext) (domain.RetryPlan, error) {
		return p.PlanRetry(context.Background(), rc)
	}
}

// trainedPolicy is a planner policy of `recoup eval` that trains in
// Prepare, before the budgets, on a history of the world's training
// population, and plans with the result at every budget.
func trainedPolicy(name string, train func(ctx context.Context, m *simulator.Model, seed uint64) (dunning.RetryPlanner, error)) simulator.NamedPlanner {
	var (
		mu      sync.Mutex
		planner dunning.RetryPlanner
	)
	return simulator.NamedPlanner{
		Name: name,
		Prepare: func(ctx context.Context, m *simulator.Model, seed uint64) error {
			p, err := train(ctx, m, seed)
			if err != nil {
				return err
			}
			mu.Lock()
			planner = p
			mu.Unlock()
			return nil
		},
		New: func(simulator.Budget) (simulator.PlannerFunc, error) {
			mu.Lock()
			defer mu.Unlock()
			if planner == nil {
				return nil, fmt.Errorf("%s: not trained (Prepare did not run)", name)
			}
			return PlannerFunc(planner), nil
		},
	}
}

// EvalPlanner is the smart policy for `recoup eval`: before the budgets it
// trains on a history drawn from the same world (training population),
// then plans with the fitted model at every budget.
func EvalPlanner(opt TrainOptions, onTrained func(smartretry.Summary)) simulator.NamedPlanner {
	return trainedPolicy("smart", func(ctx context.Context, m *simulator.Model, seed uint64) (dunning.RetryPlanner, error) {
		model, sum, rec, err := Train(ctx, m, seed, opt)
		if err != nil {
			return nil, err
		}
		if onTrained != nil {
			onTrained(sum)
		}
		p := smartretry.NewPlanner(model, nil)
		p.Objective = EvalObjective()
		p.Objective.ReminderValue = smartretry.EstimateReminderValue(rec.Ledger)
		slog.Debug("smart: reminder value", "per_hour", p.Objective.ReminderValue)
		return p, nil
	})
}
