package smartsim

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// CheckOptions size a backtest check: a recorded history of Invoices
// failed invoices under the default preset (with Explore of its retries
// explored and their propensities logged), a model trained on it, and
// each candidate backtested from the history and replayed in the world.
type CheckOptions struct {
	Seed     uint64
	Invoices int     // default 20,000
	Explore  float64 // default 0.3; the engine's own default is 0.05
	// Near is the share of explored retries drawn from the next day
	// (HistoryOptions.Near); negative means none, zero the training
	// history's default (TrainOptions.Near).
	Near      float64
	Bootstrap int // default 400
	// Refits of the model on the ledger resampled by customer, whose
	// spread widens the intervals (backtest.Config.Refits); default 20,
	// negative for none.
	Refits  int
	Workers int // default 2
	// Family is the backtest's outcome model (default the logistic).
	Family backtest.Family
	// SmartFamily is the family of the shipped smart planner that plans
	// the smart candidate, in the backtest and in the truth: "mixture"
	// (default; it falls back to the logistic planner for updated cards)
	// or "logistic".
	SmartFamily string
	Candidates  []domain.PresetSpec
	// Progress, if set, hears each stage and how far it got.
	Progress func(stage string, done, total int)
}

// CheckRow is one candidate's backtest against the truth.
type CheckRow struct {
	Candidate string            `json:"candidate"`
	Preset    domain.PresetSpec `json:"preset"`
	Estimate  backtest.Interval `json:"estimate_recovered_pct"`
	HalfWidth float64           `json:"half_width_pp"`
	Truth     float64           `json:"truth_recovered_pct"`
	Covered   bool              `json:"covered"`
	Observed  float64           `json:"observed_recovered_pct"` // the logged history's own rate
	ModelSD   float64           `json:"model_sd_pp"`            // the estimate's spread over model refits
	// Optimism is what the smart candidate's estimate was lowered by for
	// the optimizer's curse (points; nil for fixed candidates).
	Optimism *float64 `json:"smart_optimism_pp,omitempty"`
	// SamplingHalfWidth is the interval's half-width from resampling
	// invoices alone; the model's spread (ModelSD) widened it to
	// HalfWidth. The rest decompose the model's part (backtest.Result).
	SamplingHalfWidth float64   `json:"sampling_half_width_pp"`
	ScoringSD         float64   `json:"smart_scoring_sd_pp,omitempty"`
	OptimismSD        float64   `json:"smart_optimism_sd_pp,omitempty"`
	RefitRecovered    []float64 `json:"refit_recovered_pct,omitempty"`
	RefitOptimism     []float64 `json:"refit_optimism_pp,omitempty"`
	RefitOptimismRaw  []float64 `json:"refit_optimism_raw_pp,omitempty"`
	// OptimismFallbackShare is backtest.Result's: the share of the
	// optimism's invoices a refit scored in part on an updated card.
	OptimismFallbackShare float64 `json:"smart_optimism_fallback_share,omitempty"`
	Seconds               float64 `json:"seconds"`
}

// CheckReport is a whole check.
type CheckReport struct {
	World      string     `json:"world"`
	Invoices   int        `json:"failed_invoices"`
	Explore    float64    `json:"explore"`
	Refits     int        `json:"model_refits"`
	Outcome    string     `json:"outcome_model"`
	Smart      string     `json:"smart_planner"`
	Near       float64    `json:"near_share_of_explored"`
	TrainRows  int        `json:"training_rows"`
	AUC        float64    `json:"held_out_auc"`
	Method     string     `json:"method"`
	Candidates []CheckRow `json:"candidates"`
}

// CheckCandidates are the presets the issue names — more retries, smart
// on, a shorter window — and one that moves the default's retries later,
// each against a history under the default preset (1, 2, 4 days).
func CheckCandidates() []domain.PresetSpec {
	fixed := func(name string, sched ...int) domain.PresetSpec {
		p := domain.DefaultPresetSpec()
		p.Name, p.Schedule = name, sched
		return p
	}
	smart := domain.DefaultPresetSpec()
	smart.Name, smart.Schedule, smart.SmartRetries, smart.SmartMaxRetries, smart.SmartWindowDays = "smart on", nil, true, 3, 7
	return []domain.PresetSpec{
		fixed("more retries", 1, 1, 1, 2, 2),
		smart,
		fixed("shorter window", 1, 1, 1),
		fixed("later retries", 2, 2, 3),
	}
}

// CheckHistoryFirst is where check histories start in the training
// population, apart from training histories and search cases.
const CheckHistoryFirst = 3_000_000

// Check records a history of world m, trains the model on its ledger,
// backtests each candidate from that ledger alone, and replays the
// candidate on the very same invoices in the world (common random
// numbers) for the truth it is judged against.
func Check(ctx context.Context, m *simulator.Model, opt CheckOptions) (CheckReport, error) {
	if opt.Invoices <= 0 {
		opt.Invoices = 20000
	}
	if opt.Explore <= 0 {
		opt.Explore = 0.3
	}
	if opt.Bootstrap <= 0 {
		opt.Bootstrap = 400
	}
	switch {
	case opt.Refits < 0:
		opt.Refits = 0
	case opt.Refits == 0:
		opt.Refits = 20
	}
	switch {
	case opt.Near < 0:
		opt.Near = 0
	case opt.Near == 0:
		opt.Near = DefaultNear
	}
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Family == "" {
		opt.Family = backtest.FamilyLogistic
	}
	if opt.SmartFamily == "" {
		opt.SmartFamily = "mixture"
	}
	if opt.SmartFamily != "mixture" && opt.SmartFamily != "logistic" {
		return CheckReport{}, fmt.Errorf("check: smart family: want mixture or logistic, got %q", opt.SmartFamily)
	}
	if len(opt.Candidates) == 0 {
		opt.Candidates = CheckCandidates()
	}
	progress := func(stage string, done, total int) {
		if opt.Progress != nil {
			opt.Progress(stage, done, total)
		}
	}
	progress("history", 0, opt.Invoices)
	rec, err := History(ctx, m, HistoryOptions{Seed: opt.Seed, Pop: simulator.PopTraining, First: CheckHistoryFirst, Invoices: opt.Invoices,
		Preset: domain.DefaultPresetSpec(), Explore: opt.Explore, Near: opt.Near})
	if err != nil {
		return CheckReport{}, fmt.Errorf("check: %w", err)
	}
	progress("history", opt.Invoices, opt.Invoices)
	// The shipped model, trained on the history's ledger as `recoup
	// train` does (the smart family's file: a mixture with its logistic
	// fallback, or the logistic alone).
	progress("train", 0, 1)
	lm, err := smartretry.TrainFamily(ctx, rec.Ledger, opt.SmartFamily, smartretry.TrainOptions{}, "check")
	if err != nil {
		return CheckReport{}, fmt.Errorf("check: %w", err)
	}
	sum := lm.LogisticFile.Summary
	rep := CheckReport{World: m.W.Name, Invoices: opt.Invoices, Explore: opt.Explore, Near: opt.Near, Refits: opt.Refits, TrainRows: sum.Rows, AUC: sum.Test.AUC,
		Outcome: string(opt.Family), Smart: opt.SmartFamily}
	shipped := backtest.ShippedPlanner(lm.Objective(), smartretry.NetworkRules)
	cfg := backtest.Config{Ledger: rec.Ledger, Scorer: lm.Logistic, Mixture: lm.Mixture, Rules: smartretry.NetworkRules, Bootstrap: opt.Bootstrap,
		Seed: opt.Seed + 1, Workers: opt.Workers, Refits: opt.Refits, Family: opt.Family, Planner: shipped}
	progress("fit", 0, 1)
	if cfg.Fitted, err = backtest.Prepare(ctx, cfg); err != nil {
		return CheckReport{}, fmt.Errorf("check: %w", err)
	}
	progress("fit", 1, 1)
	planner := shipped(backtest.Models{Logistic: lm.Logistic, Mixture: lm.Mixture})
	for _, cand := range opt.Candidates {
		start := time.Now()
		c := cfg
		c.Candidate = cand
		c.Progress = func(done, total int) { progress("backtest "+cand.Name, done, total) }
		res, err := backtest.Run(ctx, c)
		if err != nil {
			return rep, fmt.Errorf("check %s: %w", cand.Name, err)
		}
		truth, err := replayTruth(ctx, m, rec, planner, cand, opt.Workers, func(done, total int) { progress("truth "+cand.Name, done, total) })
		if err != nil {
			return rep, fmt.Errorf("check %s: %w", cand.Name, err)
		}
		iv := res.Candidate.RecoveredPct
		rep.Method = res.Method
		rep.Candidates = append(rep.Candidates, CheckRow{Candidate: cand.Name, Preset: cand, Estimate: iv, HalfWidth: (iv.Hi - iv.Lo) / 2,
			Truth: truth, Covered: iv.Lo <= truth && truth <= iv.Hi, Observed: res.Baseline.RecoveredPct.Est, ModelSD: res.ModelSD, Optimism: res.Optimism, Seconds: time.Since(start).Seconds(),
			SamplingHalfWidth: res.SamplingHalfWidth, ScoringSD: res.ScoringSD, OptimismSD: res.OptimismSD,
			RefitRecovered: res.RefitRecovered, RefitOptimism: res.RefitOptimism, RefitOptimismRaw: res.RefitOptimismRaw,
			OptimismFallbackShare: res.OptimismFallbackShare})
	}
	return rep, nil
}

// replayTruth runs the candidate on the history's own invoices in the
// world and returns the share recovered within its window, in percent. A
// smart candidate plans with the shipped planner over the models trained
// on the history, as the server would after `recoup train`; the backtest
// applies the same rules to fixed schedules, as the engine and the world
// do (a retry the rules push past the window is not made).
func replayTruth(ctx context.Context, m *simulator.Model, rec *Recorded, planner backtest.Planner, cand domain.PresetSpec, workers int, progress func(done, total int)) (float64, error) {
	retries, window := smartretry.Budget(cand)
	b := simulator.Budget{Retries: retries, WindowDays: int(window / (24 * time.Hour))}
	var pol simulator.Policy
	if cand.SmartRetries {
		pol = &simulator.Planner{Label: cand.Name, Func: PlannerFunc(planner), Preset: cand}
	} else {
		f, err := simulator.FromPreset(cand.Name, cand, b)
		if err != nil {
			return 0, err
		}
		pol = f
	}
	n := len(rec.Cases)
	var next, recovered, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rp := &simulator.Replayer{M: m}
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if rp.Run(rec.Cases[i], pol, b).Recovered {
					recovered.Add(1)
				}
				if d := done.Add(1); d%1024 == 0 || int(d) == n {
					progress(int(d), n)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 100 * float64(recovered.Load()) / float64(n), nil
}
