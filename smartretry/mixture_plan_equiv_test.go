package smartretry

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// randomMixture is a mixture with random tables. With levels > 0 its
// hazards take only that many values, so that many slots tie exactly and
// the planner's tie-breaking is exercised.
func randomMixture(r *rand.Rand, levels int) *Mixture {
	m := &Mixture{DepositHour: r.IntN(12), Hazard: make([]float64, numCells),
		Prior: map[string][]float64{}, FallbackPrior: map[string][]float64{}}
	for c := range m.Hazard {
		h := math.Exp(-1 - 5*r.Float64())
		if levels > 0 {
			h = []float64{0.01, 0.05, 0.2, 0.5}[r.IntN(min(levels, 4))]
		}
		m.Hazard[c] = min(max(h, minHazard), maxHazard)
	}
	prior := func() []float64 {
		p := make([]float64, NumClasses)
		var z float64
		for k := range p {
			p[k] = -math.Log(1 - r.Float64())
			if r.IntN(4) == 0 {
				p[k] *= 0.01
			}
			z += p[k]
		}
		for k := range p {
			p[k] /= z
		}
		return p
	}
	m.GlobalPrior = prior()
	for _, code := range workloadCodes {
		cat, _ := categoryOf(code)
		for _, f := range fundings {
			m.FallbackPrior[fallbackKey(string(cat), string(f))] = prior()
			for _, co := range countries[:3] {
				m.Prior[PriorKey(string(cat), string(f), co)] = prior()
			}
		}
	}
	m.setVersion()
	return m
}

// randomPlanCase is a planning request drawn at random: one to three
// failures so far, a budget of one to eight retries, a window of three to
// fourteen days, and the objective's knobs varied.
func randomPlanCase(r *rand.Rand) (domain.RetryContext, Objective, Rules) {
	c := WorkloadCase(r)
	if r.IntN(3) == 0 {
		c.PMUpdatedAt = time.Time{}
	}
	at := c.Attempts[0].At
	for k := r.IntN(3); k > 0; k-- {
		at = at.Add(time.Duration(1+r.IntN(60)) * time.Hour)
		c.Attempts = append(c.Attempts, Attempt{At: at, DeclineCode: c.Attempts[0].DeclineCode})
	}
	c.Decision = at.Add(time.Duration(r.IntN(180)) * time.Minute)
	window := time.Duration(3+r.IntN(12)) * 24 * time.Hour
	rc := c.Context("in_eq", domain.PresetSpec{}, 1+r.IntN(8), c.Attempts[0].At.Add(window))
	obj := DefaultObjective()
	obj.AttemptCost = []float64{0, 10, 50}[r.IntN(3)]
	obj.ReminderValue = []float64{0, 0.0005, 0.003, 0.02}[r.IntN(4)]
	obj.MinSpacing = time.Duration([]int{1, 2, 4, 24}[r.IntN(4)]) * time.Hour
	var rules Rules
	if r.IntN(2) == 0 {
		rules = func(_ *domain.RetryContext, from time.Time) (time.Time, string) { return from, "" }
	}
	return rc, obj, rules
}

// The planner's plans are the reference's (the search as it was before
// it was made fast, mixture_plan_ref_test.go), field by field, on random
// mixtures, some with hazards on a few levels so that slots tie.
func TestMixturePlannerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	cases := 0
	for model := 0; model < 12; model++ {
		m := randomMixture(r, model%3*2)
		for i := 0; i < 150; i++ {
			rc, obj, rules := randomPlanCase(r)
			p := NewMixturePlanner(m, nil, rules)
			p.Objective = obj
			comparePlans(t, ctx, p, rc)
			cases++
		}
	}
	t.Logf("%d plans compared", cases)
}

func comparePlans(t *testing.T, ctx context.Context, p *MixturePlanner, rc domain.RetryContext) {
	t.Helper()
	got, err := p.PlanRetry(ctx, rc)
	want, werr := refPlanRetry(p, ctx, rc)
	if (err == nil) != (werr == nil) {
		t.Fatalf("error %v, reference %v", err, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan differs from the reference's for %+v, objective %+v:\n got  %+v\n want %+v", rc, p.Objective, got, want)
	}
}
