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
	// Onsets at random within each cure class's window, some left out.
	const J = numOnset + 1
	m.CureOnset = make([]float64, numCures*J)
	for c := 0; c < numCures; c++ {
		row := m.CureOnset[c*J : (c+1)*J]
		var z float64
		for j := onsetLo[c]; j < onsetHi[c]; j++ {
			if j == onsetLo[c] || r.IntN(4) != 0 {
				row[j] = r.Float64()
				z += row[j]
			}
		}
		for j := range row {
			row[j] /= z
		}
	}
	// Activity rates (per hour, about one a day to a few an hour) for
	// most mixtures, so that the card's activity weighs the onsets.
	if r.IntN(4) != 0 {
		m.Activity = make([]float64, numAct)
		for i := range m.Activity {
			m.Activity[i] = math.Exp(-4 + 5*r.Float64())
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
	// The card's activity since the first failure, some of it after the
	// decision (not seen yet).
	for k := r.IntN(8); k > 0; k-- {
		span := c.Decision.Sub(c.Attempts[0].At) + 12*time.Hour
		c.Activity = append(c.Activity, c.Attempts[0].At.Add(time.Duration(r.Int64N(int64(span)))))
	}
	sortTimes(c.Activity)
	if r.IntN(5) == 0 { // the card updated since the first failure
		c.PMUpdatedAt = c.Attempts[0].At.Add(time.Duration(r.IntN(int(c.Decision.Sub(c.Attempts[0].At)/time.Minute)+1)) * time.Minute)
	}
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

// The planner's plans and recommendations are the reference's (the
// search as it was before it was made fast, and recommendations as they
// were before they shared the plan's grid: mixture_plan_ref_test.go),
// field by field, on random mixtures, some with hazards on a few levels
// so that slots tie, with and without a fallback for updated cards.
func TestMixturePlannerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	cases, weighed := 0, 0
	for model := 0; model < 12; model++ {
		m := randomMixture(r, model%3*2)
		fallback := NewPlanner(randomModel(r), nil)
		for i := 0; i < 150; i++ {
			rc, obj, rules := randomPlanCase(r)
			if i%10 == 9 {
				// Reminders that lower customer payments: the search's
				// bounds do not hold, so it scans every candidate.
				obj.ReminderValue = -obj.ReminderValue
			}
			p := NewMixturePlanner(m, nil, rules)
			if i%2 == 0 {
				p.Fallback = fallback
			}
			p.Objective = obj
			comparePlans(t, ctx, p, rc)
			cases++
			if m.Activity != nil && len(rc.CardActivity) > 0 {
				weighed++
			}
		}
	}
	t.Logf("%d plans compared, %d with the card's activity weighing the posterior", cases, weighed)
	if weighed < cases/4 {
		t.Fatalf("only %d of %d plans weigh activity", weighed, cases)
	}
}

func comparePlans(t *testing.T, ctx context.Context, p *MixturePlanner, rc domain.RetryContext) {
	t.Helper()
	for _, candidates := range []bool{false, true} {
		got, err := p.RecommendSchedule(ctx, rc)
		if candidates {
			got, err = p.Recommend(ctx, rc)
		}
		want, werr := refRecommend(p, ctx, rc, candidates)
		if (err == nil) != (werr == nil) {
			t.Fatalf("recommendation error %v, reference %v", err, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("recommendation (candidates %v) differs from the reference's for %+v, objective %+v:\n got  %+v\n want %+v", candidates, rc, p.Objective, got, want)
		}
	}
	got, err := p.PlanRetry(ctx, rc)
	want, werr := refPlanRetry(p, ctx, rc)
	if (err == nil) != (werr == nil) {
		t.Fatalf("error %v, reference %v", err, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan differs from the reference's for %+v, objective %+v:\n got  %+v\n want %+v", rc, p.Objective, got, want)
	}
}

// worldFixture reads the mixture and requests recorded on a default
// world (testdata/mixture_<world>.json.gz).
func worldFixture(tb testing.TB, world string) (*Mixture, Objective, []domain.RetryContext) {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "mixture_"+world+".json.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var fx struct {
		Mixture   *Mixture
		Objective Objective
		Contexts  []domain.RetryContext
	}
	if err := json.NewDecoder(zr).Decode(&fx); err != nil {
		tb.Fatal(err)
	}
	const again = "write the fixtures again (RECOUP_WRITE_MIXTURE_FIXTURES=1 go test ./internal/smartsim -run TestWriteMixtureFixtures)"
	m := fx.Mixture
	if m == nil {
		tb.Fatalf("%s: the fixture has no mixture: %s", world, again)
	}
	if len(m.Hazard) != numCells || len(m.GlobalPrior) != NumClasses || len(m.CureOnset) != numCures*(numOnset+1) {
		tb.Fatalf("%s: the fixture's mixture has %d cells, %d classes and %d cure onsets, the model %d, %d and %d: %s",
			world, len(m.Hazard), len(m.GlobalPrior), len(m.CureOnset), numCells, NumClasses, numCures*(numOnset+1), again)
	}
	if err := checkMixture(m); err != nil {
		tb.Fatalf("%s: the fixture's mixture is not this model's: %v: %s", world, err, again)
	}
	m.setVersion()
	return m, fx.Objective, fx.Contexts
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
		m, obj, contexts := worldFixture(t, world)
		r := rand.New(rand.NewPCG(21, 22))
		for _, rc := range contexts {
			p := NewMixturePlanner(m, nil, nil)
			p.Objective = obj
			comparePlans(t, ctx, p, rc)
			rc.RetriesLeft = 1 + r.IntN(8)
			rc.WindowEnd = rc.Attempts[0].OccurredAt.Add(time.Duration(3+r.IntN(12)) * 24 * time.Hour)
			p.Objective.AttemptCost = []float64{0, 10, 50}[r.IntN(3)]
			comparePlans(t, ctx, p, rc)
		}
		t.Logf("%s: %d requests compared, each twice", world, len(contexts))
	}
}

// BenchmarkMixturePlanWorld plans eight retries over 14 days, as the
// smartretry.recommend.us row does, with the mixture trained on the B2C
// world; ref=1 runs the reference search instead.
func BenchmarkMixturePlanWorld(b *testing.B) { benchmarkMixturePlanWorld(b, 8, 14) }

// BenchmarkMixturePlanWorldAPI plans the API benchmark's budget, the
// default preset's three retries within seven days.
func BenchmarkMixturePlanWorldAPI(b *testing.B) { benchmarkMixturePlanWorld(b, 3, 7) }

func benchmarkMixturePlanWorld(b *testing.B, retries, days int) {
	p, ctxs := worldBenchCases(b, retries, days)
	plan := p.PlanRetry
	if os.Getenv("ref") == "1" {
		plan = func(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
			return refPlanRetry(p, ctx, rc)
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := plan(ctx, ctxs[i%len(ctxs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// The grid walk (which skips a schedule until its next deposit or age
// edge) describes every hour as describing it alone does, for random
// zones, first failures, starts and deposit hours.
func TestMixtureGridMatchesPointsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for trial := 0; trial < 200; trial++ {
		loc, _ := location(workloadZones[r.IntN(len(workloadZones))])
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
		start := ceilFrom(first, first.Add(time.Duration(r.IntN(72*60))*time.Minute))
		n := 24 * (3 + r.IntN(12))
		dep := payDeposits(loc, first, start.Add(time.Duration(n)*time.Hour), r.IntN(12))
		pts := make([]point, n)
		from := r.IntN(5)
		dep.grid(pts, start, first, from)
		for j := from; j < n; j++ {
			want := dep.at(start.Add(time.Duration(j)*time.Hour), first)
			if pts[j].idx != want.idx || pts[j].fcell != want.fcell || pts[j].band != want.band || pts[j].on != want.on || pts[j].block != want.block || pts[j].unix != want.unix || math.Abs(pts[j].h-want.h) > 1e-9 {
				t.Fatalf("trial %d (%s, first %v, start %v) slot %d: grid %+v, alone %+v", trial, loc, first, start, j, pts[j], want)
			}
			// dver numbers the grid's deposit counts.
			if j > from && (pts[j].dver == pts[j-1].dver) != (pts[j].idx == pts[j-1].idx) {
				t.Fatalf("trial %d slot %d: dver %d after %d for counts %v after %v", trial, j, pts[j].dver, pts[j-1].dver, pts[j].idx, pts[j-1].idx)
			}
		}
	}
}

// worldBenchCases is the planner of the b2c_us fixture with its objective,
// and 64 workload failures (insufficient funds, do not honor and generic
// declines in turn) with a budget of retries within days.
func worldBenchCases(b *testing.B, retries, days int) (*MixturePlanner, []domain.RetryContext) {
	m, obj, _ := worldFixture(b, "b2c_us")
	p := NewMixturePlanner(m, nil, nil)
	p.Objective = obj
	r := rand.New(rand.NewPCG(2, 2))
	ctxs := make([]domain.RetryContext, 64)
	for i := range ctxs {
		c := WorkloadCase(r)
		c.Attempts[0].DeclineCode = []string{"insufficient_funds", "do_not_honor", "generic_decline"}[i%3]
		ctxs[i] = c.Context("in_b", domain.PresetSpec{}, retries, c.Attempts[0].At.Add(time.Duration(days)*24*time.Hour))
	}
	return p, ctxs
}

// hazardsAt gives every state's Hazard[cell(s, a, b)], for random
// mixtures and random pairs of grid points (sharing a day of the run or
// not, lifted onsets in either order).
func TestMixtureHazardsAtMatchesCells(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for trial := 0; trial < 100; trial++ {
		m := randomMixture(r, 0)
		loc, _ := location(workloadZones[r.IntN(len(workloadZones))])
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
		start := ceilFrom(first, first.Add(time.Duration(r.IntN(72*60))*time.Minute))
		n := 24 * (3 + r.IntN(12))
		dep := payDeposits(loc, first, start.Add(time.Duration(n)*time.Hour), m.DepositHour)
		pts := make([]point, n)
		dep.grid(pts, start, first, 0)
		pts = append(pts, dep.at(first, first))
		h := make([]float64, NumStates)
		for k := 0; k < 50; k++ {
			a, b := &pts[r.IntN(len(pts))], &pts[r.IntN(len(pts))]
			if k%3 == 0 {
				a = &pts[len(pts)-1] // the first failure
			}
			m.hazardsAt(h, a, b)
			for s := range h {
				if want := m.Hazard[cell(s, a, b)]; h[s] != want {
					t.Fatalf("trial %d: state %d of %+v after %+v: %v, cell's %v", trial, s, *b, *a, h[s], want)
				}
			}
		}
	}
}
