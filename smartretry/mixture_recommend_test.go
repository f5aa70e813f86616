package smartretry

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// A mixture recommendation scores the window's hours under the posterior
// (the first planned slot's probability is its hour's score), and
// explains the classes, the prior's facts and each slot's timing.
func TestMixtureRecommendScoresAndExplains(t *testing.T) {
	m, loc := smallMixture(t)
	p := NewMixturePlanner(m, NewPlanner(randomModel(rand.New(rand.NewPCG(1, 1))), nil), nil)
	p.Objective.AttemptCost = 0
	rcs := mixtureContexts(loc)
	rec, err := p.Recommend(context.Background(), rcs[0])
	if err != nil {
		t.Fatal(err)
	}
	plan := rec.Plan
	if !plan.Retry || len(plan.Schedule) == 0 || len(rec.Candidates) == 0 || rec.Location.String() != loc.String() || rec.Window[0].IsZero() {
		t.Fatalf("recommendation %+v", rec)
	}
	var found bool
	for _, c := range rec.Candidates {
		if c.At.Equal(plan.At) {
			found = true
			if math.Abs(c.Probability-plan.Probability) > 1e-12 {
				t.Errorf("candidate %v scored %v, the plan's first slot %v", c.At, c.Probability, plan.Probability)
			}
		}
		if c.Probability < 0 || c.Probability >= 1 || c.At.Before(rec.Window[0]) || c.At.After(rec.Window[1]) {
			t.Errorf("candidate %+v outside [0, 1) or the window %v", c, rec.Window)
		}
	}
	if !found {
		t.Errorf("the plan's first slot %v is not among the candidates", plan.At)
	}
	var classes, priors, slots int
	for _, c := range plan.Contributions {
		switch {
		case strings.HasPrefix(c.Feature, "class:"):
			classes++
		case strings.HasPrefix(c.Feature, "prior:"):
			priors++
			if !strings.Contains(c.Feature, "insufficient_funds") || !strings.Contains(c.Feature, "debit") || !strings.Contains(c.Feature, "US") {
				t.Errorf("prior %q does not name the invoice's facts", c.Feature)
			}
		case strings.HasPrefix(c.Feature, "slot "):
			if math.Abs(c.Value-plan.Schedule[slots].Probability) > 1e-9 {
				t.Errorf("%s: value %v, the schedule's probability %v", c.Feature, c.Value, plan.Schedule[slots].Probability)
			}
			slots++
		}
	}
	if classes != topClasses || priors != 1 || slots != len(plan.Schedule) {
		t.Errorf("contributions %+v: want %d classes, 1 prior and %d slots", plan.Contributions, topClasses, len(plan.Schedule))
	}
	if !strings.Contains(plan.Explanation, "class prior from") || !strings.Contains(plan.Explanation, "slot 1 ") || !strings.Contains(plan.Explanation, "model "+m.Version()) {
		t.Errorf("explanation %q: want the pay deposits behind the slots and the prior's facts", plan.Explanation)
	}
	// Without candidates: the same plan, no scores.
	sch, err := p.RecommendSchedule(context.Background(), rcs[0])
	if err != nil || sch.Candidates != nil || sch.Plan.Explanation != plan.Explanation {
		t.Fatalf("RecommendSchedule: %v %+v", err, sch)
	}
	// A card updated since the failure: the logistic fallback plans.
	up, err := p.Recommend(context.Background(), rcs[3])
	if err != nil || !up.Plan.Retry || !strings.Contains(up.Plan.Explanation, "card was updated") || up.Plan.ModelVersion == m.Version() {
		t.Fatalf("card updated: %v %+v", err, up.Plan)
	}
	// No retries left: no plan, no candidates.
	done := rcs[0]
	done.RetriesLeft = 0
	if r, err := p.Recommend(context.Background(), done); err != nil || r.Plan.Retry || r.Candidates != nil {
		t.Fatalf("no retries left: %v %+v", err, r)
	}
	// Engine plans are unchanged by the explanation.
	eng, err := p.PlanRetry(context.Background(), rcs[0])
	if err != nil || len(eng.Schedule) != len(plan.Schedule) || !eng.At.Equal(plan.At) {
		t.Fatalf("PlanRetry %+v, Recommend %+v", eng, plan)
	}
}

// The workload mixture is a fitted model that plans.
func TestWorkloadMixturePlans(t *testing.T) {
	m, err := WorkloadMixture(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMixture(m); err != nil || m.Version() == "" {
		t.Fatalf("workload mixture: %v (version %q)", err, m.Version())
	}
	p := NewMixturePlanner(m, nil, nil)
	r := rand.New(rand.NewPCG(3, 3))
	retries := 0
	for i := 0; i < 50; i++ {
		c := WorkloadCase(r)
		c.PMUpdatedAt = time.Time{}
		plan, err := p.PlanRetry(context.Background(), c.Context("in_w", domain.PresetSpec{}, 8, c.first().At.Add(14*24*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if plan.Retry {
			retries++
		}
	}
	if retries < 25 {
		t.Fatalf("the workload mixture planned a retry for %d of 50 invoices", retries)
	}
}

// BenchmarkMixtureRecommendSchedule is the API's path without candidates
// (the plan, the window and the explanation) on the b2c_us fixture, for
// comparison with BenchmarkMixturePlanWorldAPI (PlanRetry alone).
func BenchmarkMixtureRecommendSchedule(b *testing.B) {
	p, ctxs := worldBenchCases(b, 3, 7)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := p.RecommendSchedule(ctx, ctxs[i%len(ctxs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
