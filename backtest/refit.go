package backtest

import (
	"context"
	"fmt"
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
func modelSpread(ctx context.Context, cfg Config, pop []Invoice, e *Estimator, anchor []outcome, progress func()) (sd [3][5]float64, err error) {
	rows := cfg.Ledger.Rows()
	byCustomer := map[string][]int{}
	var customers []string
	for i := range rows {
		c := cfg.Ledger.Invoices[rows[i].InvoiceID].Finalized.CustomerID
		if c == "" {
			c = rows[i].InvoiceID
		}
		if _, ok := byCustomer[c]; !ok {
			customers = append(customers, c)
		}
		byCustomer[c] = append(byCustomer[c], i)
	}
	if len(customers) == 0 {
		return sd, nil
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x726566697473))
	cancels := cfg.Candidate.AfterSub == domain.AfterCancel
	var sum, sum2 [3][5]float64
	for k := 0; k < cfg.Refits; k++ {
		sample := make([]smartretry.TrainingRow, 0, len(rows))
		for range customers {
			for _, i := range byCustomer[customers[r.IntN(len(customers))]] {
				sample = append(sample, rows[i])
			}
		}
		sc, err := cfg.Train(ctx, sample)
		if err != nil {
			return sd, fmt.Errorf("refit %d: %w", k+1, err)
		}
		re := *e
		re.Scorer = sc // the planner stays the deployed one
		cand, base, used, err := expectAll(ctx, cfg, pop, &re, nil, progress)
		if err != nil {
			return sd, err
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
	for w := range sd {
		for m := range sd[w] {
			if n > 1 {
				sd[w][m] = math.Sqrt(max(sum2[w][m]-sum[w][m]*sum[w][m]/n, 0) / (n - 1))
			}
		}
	}
	return sd, nil
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
