package smartretry

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
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

// The planner's plans are the reference's on both default worlds: a
// mixture trained on each and planning requests recorded replaying it
// (testdata/mixture_<world>.json.gz, written by
// internal/smartsim's TestWriteMixtureFixtures), each planned as
// recorded, with other budgets and windows, and with the costs of the
// objective varied.
func TestMixturePlannerMatchesReferenceOnWorlds(t *testing.T) {
	ctx := context.Background()
	for _, world := range []string{"b2c_us", "b2b_global"} {
		f, err := os.Open(filepath.Join("testdata", "mixture_"+world+".json.gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Mixture   *Mixture
			Objective Objective
			Contexts  []domain.RetryContext
		}
		err = json.NewDecoder(zr).Decode(&fx)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		m := fx.Mixture
		if len(m.Hazard) != numCells || len(m.GlobalPrior) != NumClasses {
			t.Fatalf("%s: the fixture's mixture has %d cells and %d classes, the model %d and %d: write the fixtures again (RECOUP_WRITE_MIXTURE_FIXTURES=1 go test ./internal/smartsim -run TestWriteMixtureFixtures)",
				world, len(m.Hazard), len(m.GlobalPrior), numCells, NumClasses)
		}
		m.setVersion()
		r := rand.New(rand.NewPCG(21, 22))
		for _, rc := range fx.Contexts {
			p := NewMixturePlanner(m, nil, nil)
			p.Objective = fx.Objective
			comparePlans(t, ctx, p, rc)
			rc.RetriesLeft = 1 + r.IntN(8)
			rc.WindowEnd = rc.Attempts[0].OccurredAt.Add(time.Duration(3+r.IntN(12)) * 24 * time.Hour)
			p.Objective.AttemptCost = []float64{0, 10, 50}[r.IntN(3)]
			comparePlans(t, ctx, p, rc)
		}
		t.Logf("%s: %d requests compared, each twice", world, len(fx.Contexts))
	}
}
