package backtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Config describes one backtest.
type Config struct {
	Ledger    *smartretry.Ledger
	Scorer    smartretry.Scorer
	Rules     smartretry.Rules
	Candidate domain.PresetSpec
	// Baseline is nil for the presets each run actually used (observed).
	Baseline  *domain.PresetSpec
	Bootstrap int    // replicates (default 1000)
	Seed      uint64 // bootstrap seed
	Workers   int    // default 2
	// Progress, if set, is called with invoices done and the total.
	Progress func(done, total int)
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
	Method       string         `json:"method"`
}

// Run estimates the candidate against the baseline over the ledger's
// failed invoices.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Bootstrap <= 0 {
		cfg.Bootstrap = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	pop := Population(cfg.Ledger)
	if len(pop) == 0 {
		return Result{}, fmt.Errorf("backtest: data: the ledger has no failed invoices")
	}
	e := &Estimator{Ledger: cfg.Ledger, Scorer: cfg.Scorer, Customer: EstimateCustomerHazard(cfg.Ledger, pop), Rules: cfg.Rules}
	e.Planner = smartretry.NewPlanner(cfg.Scorer, cfg.Rules)
	cand := make([]Expected, len(pop))
	var base, used []Expected
	if cfg.Baseline != nil {
		base = make([]Expected, len(pop))
	} else {
		used = make([]Expected, len(pop))
	}
	anchor := make([]outcome, len(pop))
	dr := make([]float64, len(pop))
	hasDR := make([]bool, len(pop))
	var done atomic.Int64
	err := parallel(ctx, cfg.Workers, len(pop), func(i int) error {
		var err error
		if cand[i], err = e.Expect(ctx, &pop[i], cfg.Candidate); err != nil {
			return err
		}
		if base != nil {
			if base[i], err = e.Expect(ctx, &pop[i], *cfg.Baseline); err != nil {
				return err
			}
		} else {
			h := sharedHours(&pop[i], cfg.Candidate)
			if used[i], err = e.ExpectLogged(ctx, &pop[i], h); err != nil {
				return err
			}
			anchor[i] = observedUntil(&pop[i], h)
		}
		if dr[i], hasDR[i], err = e.ExpectDR(ctx, &pop[i], cfg.Candidate); err != nil {
			return err
		}
		if cfg.Progress != nil {
			cfg.Progress(int(done.Add(1)), len(pop))
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Invoices: len(pop), Customer: e.Customer, ModelVersion: cfg.Scorer.Version(), BaselineKind: "observed"}
	if base != nil {
		res.BaselineKind = "preset"
	}
	res.Candidate, res.Baseline, res.Difference = bootstrap(pop, cand, base, used, anchor, cfg.Candidate.AfterSub == domain.AfterCancel, cfg.Bootstrap, cfg.Seed)
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
