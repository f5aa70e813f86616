package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/smartretry"
)

func init() { bench.Register("smartretry", benchSmartRetry) }

// Targets of issue 6 serve as the baselines of these rows: fitting
// 1,000,000 rows within 30 s, and planning a 14-day hourly grid within
// 200 µs. A ratio ≥ 1 for rows/s and ≤ 1 for µs meets them.
// smartretry.recommend.us plans with the family serve ships by default
// (the latent-class mixture, benchModel); smartretry.recommend.logistic.us
// with the logistic model alone.
const (
	trainTargetRowsPerS = 1_000_000.0 / 30
	recommendTargetUS   = 200.0
)

func benchSmartRetry(ctx context.Context, env *bench.Env) ([]bench.Result, error) {
	rows := 1_000_000
	if env.Quick {
		rows = 200_000
	}
	x, y := smartretry.Workload(rows, 1)
	start := time.Now()
	w, res, err := smartretry.Fit(ctx, x, y, smartretry.FitOptions{Lambda: smartretry.DefaultLambda, Workers: 2})
	if err != nil {
		return nil, fmt.Errorf("smartretry bench: fit: %w", err)
	}
	el := time.Since(start)
	env.Log.Info("smartretry fit", "rows", rows, "seconds", el.Seconds(), "iterations", res.Iterations, "evaluations", res.Evaluations)
	rowsPerS := float64(rows) / el.Seconds()

	model, err := benchModel()
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(2, 2))
	n := 3000
	if env.Quick {
		n = 1000
	}
	ctxs := make([]domain.RetryContext, 64)
	for i := range ctxs {
		c := smartretry.WorkloadCase(r)
		c.Attempts[0].DeclineCode = []string{"insufficient_funds", "do_not_honor", "generic_decline"}[i%3]
		ctxs[i] = c.Context(fmt.Sprintf("in_%d", i), domain.PresetSpec{}, 8, c.Attempts[0].At.Add(14*24*time.Hour))
	}
	// The shipped family (the mixture, as train writes by default and
	// serve loads it), then the logistic model alone, as before.
	shipped, err := planMedian(ctx, model.Planner(nil), ctxs, n)
	if err != nil {
		return nil, err
	}
	logistic, err := planMedian(ctx, smartretry.NewPlanner(smartretry.NewLogistic(w, smartretry.ModelVersion(w)), nil), ctxs, n)
	if err != nil {
		return nil, err
	}
	env.Log.Info("smartretry recommend", "shipped_family", model.Family, "shipped_us", shipped, "logistic_us", logistic)
	return []bench.Result{
		bench.WithBaseline("smartretry.train.rows_per_s", rowsPerS, "rows/s", trainTargetRowsPerS),
		bench.WithBaseline("smartretry.recommend.us", shipped, "µs", recommendTargetUS),
		bench.WithBaseline("smartretry.recommend.logistic.us", logistic, "µs", recommendTargetUS),
	}, nil
}

// planMedian is the median time in µs of n plans of an eight-retry
// budget over a 14-day window, cycling through ctxs.
func planMedian(ctx context.Context, p dunning.RetryPlanner, ctxs []domain.RetryContext, n int) (float64, error) {
	times := make([]float64, n)
	for i := range times {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if _, err := p.PlanRetry(ctx, ctxs[i%len(ctxs)]); err != nil {
			return 0, fmt.Errorf("smartretry bench: plan: %w", err)
		}
		times[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
	}
	sort.Float64s(times)
	return times[len(times)/2], nil
}
