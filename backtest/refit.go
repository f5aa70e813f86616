package backtest

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
	"gonum.org/v1/gonum/stat/distuv"
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
func modelSpread(ctx context.Context, cfg Config, pop []Invoice, e *Estimator, refitOutcome func(k int) Outcome, refitModels func(k int) Models, anchor []outcome, progress func()) (sd [3][5]float64, opt optimism, err error) {
	var optSum, optSum2 float64
	opt.Refits = make([]float64, 0, cfg.Refits)
	cancels := cfg.Candidate.AfterSub == domain.AfterCancel
	var sum, sum2 [3][5]float64
	for k := range cfg.Refits {
		m := refitModels(k)
		re := *e
		re.Outcome = refitOutcome(k) // the planner stays the deployed one
		cand, base, used, err := expectAll(ctx, cfg, pop, &re, nil, progress)
		if err != nil {
			return sd, opt, err
		}
		if cfg.Candidate.SmartRetries {
			o, raw, fb, err := refitOptimism(ctx, cfg, pop, e, m, refitOutcome(k), k)
			if err != nil {
				return sd, opt, err
			}
			opt.FallbackShare += fb / float64(cfg.Refits)
			opt.Each = append(opt.Each, o)
			opt.Raw = append(opt.Raw, raw)
			optSum += o
			optSum2 += o * o
		}
		c, b, d := pointMetrics(pop, cand, base, used, anchor, cancels)
		opt.Refits = append(opt.Refits, c[0])
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
	// Each is every refit's optimism (points), as the estimate uses it:
	// anchored on the logged runs. Raw is the same plans' optimism
	// without the anchor (the refit's view of the candidate alone), kept
	// for diagnosis; against a preset baseline the estimate is not
	// anchored and the two are equal. Refits is the candidate's recovery
	// rate under each refit (the deployed plans, anchored).
	Each, Raw, Refits []float64
	// FallbackShare is the share of the invoices the optimism is measured
	// on whose refit scored some retry on an updated card (with the
	// logistic fallback, not the mixture), averaged over the refits.
	FallbackShare float64
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
//
// The estimate it corrects is anchored on the logged runs (prediction
// under the candidate plus observed minus predicted along the logged
// retries), so its bootstrap analog is too: each model's view of the
// refit's plans is taken relative to its own view of the logged runs,
// over the hours the two runs share. In the refit's world the observed
// residual is the deployed model's, so the anchored optimism is
// (own plans − own logged) by the refit minus (own plans − own logged)
// by the deployed model. What a refit gets wrong on both runs alike (its
// level, a class's share) cancels here exactly as it cancels in the
// estimate; left in (raw, also returned), it inflated the correction by
// what anchoring had already removed.
//
// fallback is the share of the sample whose own-model scoring asked a
// chance on an updated card, which a mixture leaves to its fallback.
func refitOptimism(ctx context.Context, cfg Config, pop []Invoice, e *Estimator, m Models, ownOutcome Outcome, k int) (anchored, raw, fallback float64, err error) {
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
	rawDiff := make([]float64, len(idx))
	hit := make([]bool, len(idx))
	err = parallel(ctx, cfg.Workers, len(idx), func(j int) error {
		inv := &pop[idx[j]]
		// The refit's plans for this invoice, made once and scored by
		// both models.
		memo := &planMemo{p: p}
		own, dep := *e, *e
		watched := fallbackWatch{Outcome: ownOutcome, hit: &hit[j]}
		own.Outcome, own.Planner = watched, memo
		dep.Planner = memo // plans of the refit, scored by the deployed model
		a, err := own.Expect(ctx, inv, cfg.Candidate)
		if err != nil {
			return err
		}
		memo.rewind()
		b, err := dep.Expect(ctx, inv, cfg.Candidate)
		if err != nil {
			return err
		}
		rawDiff[j] = a.Recover - b.Recover
		if cfg.Baseline != nil {
			// Against a preset baseline the estimate is not anchored.
			diff[j] = rawDiff[j]
			return nil
		}
		h := sharedHours(inv, cfg.Candidate)
		ownLog, depLog := *e, *e
		ownLog.Outcome = watched
		al, err := ownLog.ExpectLogged(ctx, inv, h)
		if err != nil {
			return err
		}
		bl, err := depLog.ExpectLogged(ctx, inv, h)
		if err != nil {
			return err
		}
		diff[j] = (a.Recover - al.Recover) - (b.Recover - bl.Recover)
		return nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	var s, sr, fb float64
	for j := range diff {
		s += diff[j]
		sr += rawDiff[j]
		if hit[j] {
			fb++
		}
	}
	n := float64(len(diff))
	return 100 * s / n, 100 * sr / n, fb / n, nil
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
// each side: the two sources of error are independent. sd is estimated
// from refits refits, so its part of the interval is Student's t quantile
// with refits−1 degrees of freedom times sd (ModelQuantile), not the
// normal 1.96: with few refits sd is itself uncertain. Below two refits
// there is no sd and the interval is left as it is.
func widen(iv Interval, sd float64, refits int) Interval {
	if refits < 2 {
		return iv
	}
	lo, hi := iv.Est-iv.Lo, iv.Hi-iv.Est
	m := ModelQuantile(refits) * sd
	return Interval{Est: iv.Est, Lo: iv.Est - math.Sqrt(lo*lo+m*m), Hi: iv.Est + math.Sqrt(hi*hi+m*m)}
}

// ModelQuantile is the factor a model sd measured over refits refits is
// multiplied by in a 95% interval: the 0.975 quantile of Student's t with
// refits−1 degrees of freedom (12.71 for 2 refits, 2.26 for 10, 2.09 for
// 20, 1.96 in the limit). It is 0 below two refits, which give no sd.
func ModelQuantile(refits int) float64 {
	if refits < 2 {
		return 0
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(refits - 1)}.Quantile(0.975)
}

// shift moves an interval by d points.
func shift(iv Interval, d float64) Interval {
	return Interval{Est: iv.Est + d, Lo: iv.Lo + d, Hi: iv.Hi + d}
}
