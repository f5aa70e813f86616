package backtest

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// TrainFunc fits a scorer on training rows, as `recoup train` does.
type TrainFunc func(ctx context.Context, rows []smartretry.TrainingRow) (smartretry.Scorer, error)

// DefaultTrain fits the logistic hazard model with the default options.
func DefaultTrain(ctx context.Context, rows []smartretry.TrainingRow) (smartretry.Scorer, error) {
	m, _, err := smartretry.Train(ctx, rows, smartretry.TrainOptions{})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// modelSpread measures how much the estimates move when the model itself
// is refitted on the ledger resampled by customer: the model's own
// uncertainty, which resampling invoices under one fixed model does not
// see, and which is largest exactly where a candidate leaves the times
// the logged runs tried. Each refit scores the same population (the
// candidate's schedule, and for a smart candidate the deployed planner's
// choices, with the refitted model), and the standard deviation of each
// metric over the refits is returned, for the candidate, the baseline and
// their difference.
func modelSpread(ctx context.Context, cfg Config, f *Fitted, pop []Invoice, e *Estimator, refitOutcome func(k int) Outcome, anchor []outcome, progress func()) (sd [3][5]float64, opt optimism, err error) {
	var optSum, optSum2 float64
	cancels := cfg.Candidate.AfterSub == domain.AfterCancel
	var sum, sum2 [3][5]float64
	for k, m := range f.refit {
		re := *e
		re.Outcome = refitOutcome(k) // the planner stays the deployed one
		cand, base, used, err := expectAll(ctx, cfg, pop, &re, nil, progress)
		if err != nil {
			return sd, opt, err
		}
		if cfg.Candidate.SmartRetries {
			o, err := refitOptimism(ctx, cfg, pop, e, m, refitOutcome(k), k)
			if err != nil {
				return sd, opt, err
			}
			optSum += o
			optSum2 += o * o
		}
		c, b, d := pointMetrics(pop, cand, base, used, anchor, cancels)
		for m := range 5 {
			for w, v := range [3]float64{c[m], b[m], d[m]} {
				sum[w][m] += v
				sum2[w][m] += v * v
			}
		}
	}
	n := float64(cfg.Refits)
	if cfg.Candidate.SmartRetries && n > 1 {
		opt.Mean = optSum / n
		opt.SD = math.Sqrt(max(optSum2-optSum*optSum/n, 0) / (n - 1))
	}
	for w := range sd {
		for m := range sd[w] {
			if n > 1 {
				sd[w][m] = math.Sqrt(max(sum2[w][m]-sum[w][m]*sum[w][m]/n, 0) / (n - 1))
			}
		}
	}
	return sd, opt, nil
}

// optimism is the optimizer's curse of a smart candidate, measured over
// the refits: by how many points a refitted model overrates the plans it
// chose itself, against the deployed model's view of the same plans.
type optimism struct {
	Mean, SD float64
}

// optimismSample bounds the invoices each refit's optimism is measured on:
// it is a mean of paired differences, steady on a few thousand.
const optimismSample = 4000

// refitOptimism plans a sample of the population with the refitted
// model's own planner and scores the plans with the refitted model and
// with the deployed one. In the refit's world the deployed model stands
// for the truth, so the difference is the refit's optimism about its own
// choices (Efron's bootstrap estimate of optimism), which the deployed
// model's estimate of its own plans suffers likewise.
func refitOptimism(ctx context.Context, cfg Config, pop []Invoice, e *Estimator, m Models, ownOutcome Outcome, k int) (float64, error) {
	idx := make([]int, len(pop))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) > optimismSample {
		r := rand.New(rand.NewPCG(cfg.Seed+uint64(k), 0x6f7074))
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		idx = idx[:optimismSample]
	}
	// The refit's planner is the deployed kind built from the refit.
	pm := m
	if cfg.Mixture == nil {
		pm.Mixture = nil
	}
	p := cfg.Planner(pm)
	diff := make([]float64, len(idx))
	err := parallel(ctx, cfg.Workers, len(idx), func(j int) error {
		// The refit's plans for this invoice, made once and scored by
		// both models.
		memo := &planMemo{p: p}
		own, dep := *e, *e
		own.Outcome, own.Planner = ownOutcome, memo
		dep.Planner = memo // plans of the refit, scored by the deployed model
		a, err := own.Expect(ctx, &pop[idx[j]], cfg.Candidate)
		if err != nil {
			return err
		}
		memo.rewind()
		b, err := dep.Expect(ctx, &pop[idx[j]], cfg.Candidate)
		if err != nil {
			return err
		}
		diff[j] = a.Recover - b.Recover
		return nil
	})
	if err != nil {
		return 0, err
	}
	var s float64
	for _, d := range diff {
		s += d
	}
	return 100 * s / float64(len(diff)), nil
}

// expectAll estimates every invoice under the candidate and the baseline
// preset (or along its logged run), filling anchor if it is not nil.
func expectAll(ctx context.Context, cfg Config, pop []Invoice, e *Estimator, anchor []outcome, progress func()) (cand, base, used []Expected, err error) {
	cand = make([]Expected, len(pop))
	if cfg.Baseline != nil {
		base = make([]Expected, len(pop))
	} else {
		used = make([]Expected, len(pop))
	}
	err = parallel(ctx, cfg.Workers, len(pop), func(i int) error {
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
			if anchor != nil {
				anchor[i] = observedUntil(&pop[i], h)
			}
		}
		progress()
		return nil
	})
	return cand, base, used, err
}

// widen adds the model's spread to a bootstrap interval, in quadrature on
// each side: the two sources of error are independent.
func widen(iv Interval, sd float64) Interval {
	lo, hi := iv.Est-iv.Lo, iv.Hi-iv.Est
	m := 1.96 * sd
	return Interval{Est: iv.Est, Lo: iv.Est - math.Sqrt(lo*lo+m*m), Hi: iv.Est + math.Sqrt(hi*hi+m*m)}
}

// shift moves an interval by d points.
func shift(iv Interval, d float64) Interval {
	return Interval{Est: iv.Est + d, Lo: iv.Lo + d, Hi: iv.Hi + d}
}
