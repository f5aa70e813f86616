package backtest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Config describes one backtest.
type Config struct {
	Ledger *smartretry.Ledger
	// Scorer is the deployed logistic model.
	Scorer smartretry.Scorer
	// Mixture is the deployed latent-class mixture, when the smart
	// planner shipped is the mixture's (nil: the logistic planner).
	Mixture   *smartretry.Mixture
	Rules     smartretry.Rules
	Candidate domain.PresetSpec
	// Baseline is nil for the presets each run actually used (observed).
	Baseline  *domain.PresetSpec
	Bootstrap int    // replicates (default 1000)
	Seed      uint64 // bootstrap seed
	Workers   int    // default 2
	// Refits is how many times the models are refitted on the ledger
	// resampled by customer (bootstrap; a mixture-planned smart
	// candidate's mixture and fallback on half samples instead, see
	// fitted.go) to measure their own uncertainty, which then widens
	// the intervals (0 or 1: none). Train fits the logistic ones
	// (default DefaultTrain: the deployed model's own family and options).
	Refits int
	Train  TrainFunc
	// Family is the outcome model schedules are replayed against
	// (default FamilyLogistic).
	Family Family
	// Planner builds the smart planner from fitted models, as the
	// deployment does (default ShippedPlanner with the default objective
	// and Rules): the deployed
	// models' plans are what a smart candidate is estimated on, and the
	// refits' plans measure the optimizer's curse.
	Planner PlannerFunc
	// Fitted, if set, holds the fits of an earlier Prepare with the same
	// ledger, scorer, family, refits and seed, shared by several
	// candidates; one prepared for another of those is refused (Train
	// cannot be compared: keep the one the fits were prepared with).
	Fitted *Fitted
	// Progress, if set, is called with invoices done and the total.
	Progress func(done, total int)
}

// withDefaults fills cfg's unset fields.
func (cfg Config) withDefaults() Config {
	if cfg.Bootstrap <= 0 {
		cfg.Bootstrap = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Train == nil {
		cfg.Train = DefaultTrain
	}
	if cfg.Family == "" {
		cfg.Family = FamilyLogistic
	}
	if cfg.Planner == nil {
		cfg.Planner = ShippedPlanner(smartretry.DefaultObjective(), cfg.Rules)
	}
	if cfg.Refits < 0 {
		cfg.Refits = 0
	}
	return cfg
}

// deployed are the deployed models.
func (cfg Config) deployed() Models {
	return Models{Logistic: cfg.Scorer, Mixture: cfg.Mixture}
}

// Result is a backtest's answer.
type Result struct {
	Invoices     int     `json:"failed_invoices"`
	Candidate    Metrics `json:"candidate"`
	Baseline     Metrics `json:"baseline"`
	BaselineKind string  `json:"baseline_kind"` // observed or preset
	Difference   Metrics `json:"difference"`
	// DR is the doubly robust recovery rate (percent) over the invoices
	// with logged propensities, with the direct method on the same
	// invoices beside it; nil when none have them.
	DR           *Interval      `json:"doubly_robust_recovered_pct,omitempty"`
	DRDirect     *Interval      `json:"direct_on_logged_recovered_pct,omitempty"`
	DRInvoices   int            `json:"doubly_robust_invoices,omitempty"`
	Customer     CustomerHazard `json:"-"`
	ModelVersion string         `json:"model_version"`
	// ModelRefits is how many refits measured the model's uncertainty,
	// and ModelSD the spread (points) of the candidate's recovery rate
	// over them; both zero when none were made.
	ModelRefits int     `json:"model_refits,omitempty"`
	ModelSD     float64 `json:"model_sd_recovered_pct,omitempty"`
	// Optimism, for a smart candidate with refits, is how many points the
	// model overrates its own plans (measured on the refits), already
	// taken off the candidate's recovery rate.
	Optimism *float64 `json:"smart_optimism_pp,omitempty"`
	// ScoringSD and OptimismSD, for a smart candidate with refits, are
	// the two measures of its model error (points): the spread of the
	// deployed plans' estimate over the refits, and the spread of the
	// refits' optimism about their own plans. ModelSD is the larger, with
	// the standard error of the optimism's mean (OptimismSD/√Refits)
	// added in quadrature.
	ScoringSD  float64 `json:"smart_scoring_sd_pp,omitempty"`
	OptimismSD float64 `json:"smart_optimism_sd_pp,omitempty"`
	// The interval's parts: SamplingHalfWidth is the candidate recovery
	// interval's half-width from resampling customers alone, before the
	// model's spread widened it; RefitRecovered is the candidate's
	// recovery rate under each refit; RefitOptimism (smart only) each
	// refit's optimism as the estimate uses it: anchored on the logged
	// runs against the observed baseline, and unanchored (equal to
	// RefitOptimismRaw) against a preset baseline, whose estimate is not
	// anchored; RefitOptimismRaw the same without the anchor (not used;
	// for diagnosis). OptimismFallbackShare (smart only) is the share of
	// the invoices the optimism is measured on that a refit scored in
	// part with its logistic model, a retry on an updated card being the
	// mixture's fallback's (mean over the refits).
	SamplingHalfWidth     float64   `json:"sampling_half_width_pp"`
	RefitRecovered        []float64 `json:"refit_recovered_pct,omitempty"`
	RefitOptimism         []float64 `json:"refit_optimism_pp,omitempty"`
	RefitOptimismRaw      []float64 `json:"refit_optimism_raw_pp,omitempty"`
	OptimismFallbackShare float64   `json:"smart_optimism_fallback_share,omitempty"`
	// Recalibration is the out-of-fold recalibration the estimates are
	// scored with (nil when the model is not linear).
	Recalibration *Recalibration `json:"out_of_fold_recalibration,omitempty"`
	Method        string         `json:"method"`
	// Outcome is the family of the outcome model the candidate was
	// scored with: a smart candidate planned by a mixture is scored by
	// the mixture whatever Config.Family says.
	Outcome Family `json:"outcome_model"`
}

// Run estimates the candidate against the baseline over the ledger's
// failed invoices.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Family != FamilyMixture && cfg.Family != FamilyLogistic {
		return Result{}, fmt.Errorf("backtest: family: want %q or %q, got %q", FamilyMixture, FamilyLogistic, cfg.Family)
	}
	if cfg.Mixture != nil {
		// A mixture built in code is checked as a model file's is: one
		// whose tables do not fit would answer NaN chances.
		if err := smartretry.NewMixturePlanner(cfg.Mixture, nil, cfg.Rules).Err(); err != nil {
			return Result{}, fmt.Errorf("backtest: Mixture: %w", err)
		}
	}
	if cfg.Fitted != nil {
		if err := cfg.Fitted.matches(cfg); err != nil {
			return Result{}, fmt.Errorf("backtest: fitted: %w", err)
		}
	}
	pop := Population(cfg.Ledger)
	if len(pop) == 0 {
		return Result{}, fmt.Errorf("backtest: data: the ledger has no failed invoices")
	}
	f := cfg.Fitted
	if f == nil {
		var err error
		if f, err = Prepare(ctx, cfg); err != nil {
			return Result{}, err
		}
	}
	r := f.recal
	if cfg.Refits > 1 {
		if err := f.refitsFor(ctx, cfg); err != nil {
			return Result{}, err
		}
	}
	scoreWith, refitOutcome, refitModels := f.scoring(cfg)
	e := &Estimator{Ledger: cfg.Ledger, Outcome: scoreWith, Customer: EstimateCustomerHazard(cfg.Ledger, pop), Rules: cfg.Rules,
		Planner: cfg.Planner(cfg.deployed())}
	total := len(pop) * (1 + max(cfg.Refits, 0))
	var done atomic.Int64
	progress := func() {
		if cfg.Progress != nil {
			cfg.Progress(int(done.Add(1)), total)
		}
	}
	anchor := make([]outcome, len(pop))
	cand, base, used, err := expectAll(ctx, cfg, pop, e, anchor, progress)
	if err != nil {
		return Result{}, err
	}
	dr := make([]float64, len(pop))
	hasDR := make([]bool, len(pop))
	err = parallel(ctx, cfg.Workers, len(pop), func(i int) error {
		var err error
		dr[i], hasDR[i], err = e.ExpectDR(ctx, &pop[i], cfg.Candidate)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Invoices: len(pop), Customer: e.Customer, ModelVersion: cfg.Scorer.Version(), BaselineKind: "observed", Recalibration: r, Outcome: cfg.Family}
	if cfg.Candidate.SmartRetries && cfg.Mixture != nil {
		res.Outcome = FamilyMixture // scored by the planner's family (Fitted.scoring)
	}
	if cfg.Mixture != nil {
		res.ModelVersion = cfg.Mixture.Version()
	}
	if base != nil {
		res.BaselineKind = "preset"
	}
	res.Candidate, res.Baseline, res.Difference = bootstrap(pop, cand, base, used, anchor, cfg.Candidate.AfterSub == domain.AfterCancel, cfg.Bootstrap, cfg.Seed)
	res.SamplingHalfWidth = (res.Candidate.RecoveredPct.Hi - res.Candidate.RecoveredPct.Lo) / 2
	if cfg.Refits > 1 {
		sd, opt, err := modelSpread(ctx, cfg, pop, e, refitOutcome, refitModels, anchor, progress)
		if err != nil {
			return Result{}, fmt.Errorf("backtest: model spread: %w", err)
		}
		if cfg.Candidate.SmartRetries {
			// The planner's choices are scored by a model fitted on the same
			// ledger: take off the optimism the refits measured. Each refit's
			// optimism is the half-sample analog of the estimate's whole model
			// error (its own plans scored by itself against the deployed
			// model, which stands for the truth in the refit's world): the
			// scoring noise the refit spread measures on the deployed plans,
			// plus what selecting on that noise adds. Adding the two in
			// quadrature counts the scoring noise twice; the larger of the
			// two is carried, and the mean taken off is itself a mean of
			// Refits draws, whose standard error adds to it. The difference
			// is shifted by the same mean, so it carries the same three
			// terms: against the observed baseline it moves with the
			// candidate alone; against a preset baseline its scoring spread
			// (the baseline's scored with the candidate's, by the same refit)
			// stands in for the candidate's.
			res.Candidate.RecoveredPct = shift(res.Candidate.RecoveredPct, -opt.Mean)
			res.Difference.RecoveredPct = shift(res.Difference.RecoveredPct, -opt.Mean)
			res.ScoringSD, res.OptimismSD = sd[0][0], opt.SD
			meanSE := opt.SD / math.Sqrt(float64(cfg.Refits))
			sd[0][0] = math.Hypot(max(sd[0][0], opt.SD), meanSE)
			if base == nil {
				sd[2][0] = sd[0][0]
			} else {
				sd[2][0] = math.Hypot(max(sd[2][0], opt.SD), meanSE)
			}
			res.Optimism = &opt.Mean
		}
		res.Candidate = res.Candidate.widened(sd[0], cfg.Refits)
		if base != nil {
			res.Baseline = res.Baseline.widened(sd[1], cfg.Refits)
		}
		res.Difference = res.Difference.widened(sd[2], cfg.Refits)
		res.ModelRefits = cfg.Refits
		res.ModelSD = sd[0][0]
		res.RefitRecovered, res.RefitOptimism, res.RefitOptimismRaw = opt.Refits, opt.Each, opt.Raw
		res.OptimismFallbackShare = opt.FallbackShare
	}
	if used != nil {
		res.Method = "direct method anchored on the logged runs: prediction under the candidate + (observed − predicted along the logged retries), both counted over the hours the two runs share"
	} else {
		res.Method = "direct method for both presets"
	}
	var drv, dmv []float64
	for i := range pop {
		if hasDR[i] {
			drv = append(drv, dr[i])
			dmv = append(dmv, cand[i].Recover)
		}
	}
	if len(drv) > 0 {
		a, b := meanInterval(drv, cfg.Bootstrap, cfg.Seed+1), meanInterval(dmv, cfg.Bootstrap, cfg.Seed+1)
		res.DR, res.DRDirect, res.DRInvoices = &a, &b, len(drv)
	}
	return res, nil
}

// parallel runs fn(i) for i in [0, n) on workers goroutines; the first
// error (or the context's) stops the rest.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := fn(i); err != nil {
					errs[w] = err
					next.Store(int64(n))
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
	}
	return nil
}

// sharedHours is how long the logged run and the candidate's run overlap:
// the shorter of the two windows, in hours after the failure.
func sharedHours(inv *Invoice, cand domain.PresetSpec) float64 {
	c := runEnd(inv, cand, 0)
	u := runEnd(inv, inv.Preset, 0)
	if u.Before(c) {
		c = u
	}
	return c.Sub(inv.FailedAt).Hours()
}
