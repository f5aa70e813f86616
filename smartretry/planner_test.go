package smartretry

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

func randomModel(r *rand.Rand) *Logistic {
	w := make([]float64, len(lay.names))
	for i := range w {
		w[i] = 0.5 * r.NormFloat64()
	}
	return NewLogistic(w, ModelVersion(w))
}

// The optimizer's folded fast path must give the same probabilities as
// scoring the full feature rows that training uses.
func TestFastPathMatchesFullRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2))
	m := randomModel(r)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	row := make([]float64, len(lay.names))
	for trial := 0; trial < 30; trial++ {
		s := newSynthCase(r, base)
		c := s.c
		c.Activity = []time.Time{c.first().At.Add(-3 * time.Hour), c.first().At.Add(time.Hour)}
		c.Decision = c.first().At.Add(2 * time.Hour)
		g := newGrid(&c, m, ceilFrom(c.first().At, c.Decision), c.Decision.Add(10*24*time.Hour))
		for k := 0; k < 40; k++ {
			j := r.IntN(g.n)
			Row(&c, g.at(j), row)
			if want := m.Score(row); math.Abs(g.firstProb(j)-want) > 1e-9 {
				t.Fatalf("first attempt at slot %d: fast %g, rows %g", j, g.firstProb(j), want)
			}
			prev := r.IntN(j+1) - 1
			n := g.nDone + 1 + r.IntN(4)
			if prev >= 0 && n == g.nDone+1 {
				n++
			}
			g.rowAt(prev, j, n, row)
			if got, want := g.prob(prev, j, n), m.Score(row); math.Abs(got-want) > 1e-9 {
				t.Fatalf("attempt %d at slot %d after slot %d: fast %g, rows %g", n, j, prev, got, want)
			}
		}
	}
}

func contextFor(c *Case, left int, window time.Duration) domain.RetryContext {
	rc := domain.RetryContext{
		Now: c.Decision, InvoiceID: "in_1", Amount: c.Amount, Currency: "usd",
		CustomerCountry: c.Country, CustomerTimeZone: c.Loc.String(),
		Network: c.Network, Funding: c.Funding, CardCountry: c.CardCountry,
		RetriesLeft: left, WindowEnd: c.first().At.Add(window),
	}
	for i, a := range c.Attempts {
		rc.Attempts = append(rc.Attempts, domain.PaymentAttempted{Base: domain.Base{OccurredAt: a.At}, AttemptNumber: i + 1, Outcome: domain.Failed, DeclineCode: a.DeclineCode, AdviceCode: a.AdviceCode})
	}
	return rc
}

func TestPlannerHonoursRulesSpacingAndWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	m := randomModel(r)
	wait := func(rc *domain.RetryContext, from time.Time) (time.Time, string) {
		if e := rc.Attempts[len(rc.Attempts)-1].OccurredAt.Add(30 * time.Hour); e.After(from) {
			return e, "a 30-hour wait"
		}
		return from, ""
	}
	p := NewPlanner(m, wait)
	p.Objective.AttemptCost = 0
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for trial := 0; trial < 50; trial++ {
		s := newSynthCase(r, base)
		rc := contextFor(&s.c, 1+r.IntN(8), 14*24*time.Hour)
		plan, err := p.PlanRetry(context.Background(), rc)
		if err != nil {
			t.Fatal(err)
		}
		if !plan.Retry {
			t.Fatalf("no retry with zero attempt cost: %s", plan.Explanation)
		}
		if len(plan.Schedule) == 0 || len(plan.Schedule) > rc.RetriesLeft || !plan.Schedule[0].At.Equal(plan.At) {
			t.Fatalf("schedule %v for %d retries left, first at %v", plan.Schedule, rc.RetriesLeft, plan.At)
		}
		prev := rc.Attempts[len(rc.Attempts)-1].OccurredAt
		for _, sl := range plan.Schedule {
			if sl.At.Before(rc.Attempts[0].OccurredAt.Add(30 * time.Hour)) {
				t.Fatalf("slot %v breaks the 30-hour wait", sl.At)
			}
			if sl.At.Sub(prev) < p.Objective.MinSpacing || sl.At.After(rc.WindowEnd) || sl.At.Before(rc.Now) {
				t.Fatalf("slot %v: spacing from %v or window [%v, %v] broken", sl.At, prev, rc.Now, rc.WindowEnd)
			}
			if sl.Probability <= 0 || sl.Probability >= 1 {
				t.Fatalf("slot probability %v", sl.Probability)
			}
			prev = sl.At
		}
		if plan.ModelVersion != m.Version() || len(plan.Contributions) == 0 || plan.Propensity != 1 {
			t.Fatalf("plan lacks version, contributions or propensity: %+v", plan)
		}
	}
}

func TestPlannerStops(t *testing.T) {
	m := randomModel(rand.New(rand.NewPCG(1, 1)))
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	c := Case{Amount: 1000, Network: domain.Visa, Funding: domain.Credit, Country: "US", Loc: time.UTC, Attempts: []Attempt{{At: at, DeclineCode: "lost_card"}}, Decision: at}
	tests := []struct {
		name string
		rc   func() domain.RetryContext
	}{
		{"hard decline", func() domain.RetryContext { return contextFor(&c, 3, 7*24*time.Hour) }},
		{"no retries left", func() domain.RetryContext {
			rc := contextFor(&c, 0, 7*24*time.Hour)
			rc.Attempts[0].DeclineCode = "insufficient_funds"
			return rc
		}},
		{"window over", func() domain.RetryContext {
			rc := contextFor(&c, 3, time.Hour)
			rc.Attempts[0].DeclineCode = "insufficient_funds"
			return rc
		}},
	}
	for _, tc := range tests {
		plan, err := NewPlanner(m, nil).PlanRetry(context.Background(), tc.rc())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if plan.Retry || plan.Explanation == "" {
			t.Errorf("%s: plan %+v, want no retry with a reason", tc.name, plan)
		}
	}
	if _, err := NewPlanner(m, nil).PlanRetry(context.Background(), domain.RetryContext{RetriesLeft: 3}); err == nil {
		t.Error("a context without attempts was accepted")
	}
}

// On the synthetic world, the planner driven by a model fitted on random
// retries must recover more than the evenly spaced schedule at the same
// budget (expected recovery under the world's true curves).
func TestPlannerBeatsEvenSpacingOnSynthetic(t *testing.T) {
	m, _, _, _, _ := fitSynth(t, 8000, 21)
	p := NewPlanner(m, nil)
	r := rand.New(rand.NewPCG(99, 9))
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	const k, days = 3, 7
	var smart, even float64
	for i := 0; i < 400; i++ {
		s := newSynthCase(r, base)
		// evenly spaced: every days/(k+1)... at days*j/k after the failure
		surv := 1.0
		for j := 1; j <= k; j++ {
			pt := s.truth(s.c.first().At.Add(time.Duration(j*days*24/k) * time.Hour))
			even += surv * pt
			surv *= 1 - pt
		}
		surv = 1.0
		cs := s.c
		for left := k; left > 0; left-- {
			rc := contextFor(&cs, left, days*24*time.Hour)
			plan, err := p.PlanRetry(context.Background(), rc)
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Retry {
				break
			}
			pt := s.truth(plan.At)
			smart += surv * pt
			surv *= 1 - pt
			cs.Attempts = append(cs.Attempts, Attempt{At: plan.At, DeclineCode: cs.last().DeclineCode})
			cs.Decision = plan.At
		}
	}
	t.Logf("expected recoveries of 400: smart %.1f, even %.1f", smart, even)
	if smart < even*1.02 {
		t.Errorf("smart %.1f does not beat evenly spaced %.1f by 2%%", smart, even)
	}
}

// rowScorer hides the Linear fast path, so the optimizer scores full rows.
type rowScorer struct{ m *Logistic }

func (r rowScorer) Version() string                                  { return r.m.Version() }
func (r rowScorer) Score(x []float64) float64                        { return r.m.Score(x) }
func (r rowScorer) Explain(x []float64, n int) []domain.Contribution { return r.m.Explain(x, n) }

// A scorer of another family gets the same plan as the folded linear
// path, slot for slot.
func TestGenericScorerPlansLikeLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	m := randomModel(r)
	for i := range m.W {
		m.W[i] *= 0.3
	}
	fast, slow := NewPlanner(m, nil), NewPlanner(rowScorer{m}, nil)
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for trial := 0; trial < 20; trial++ {
		s := newSynthCase(r, base)
		rc := contextFor(&s.c, 1+r.IntN(6), 14*24*time.Hour)
		a, err1 := fast.PlanRetry(context.Background(), rc)
		b, err2 := slow.PlanRetry(context.Background(), rc)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(a.Schedule) != len(b.Schedule) {
			t.Fatalf("linear plan %v, generic plan %v", a.Schedule, b.Schedule)
		}
		for i := range a.Schedule {
			if !a.Schedule[i].At.Equal(b.Schedule[i].At) || math.Abs(a.Schedule[i].Probability-b.Schedule[i].Probability) > 1e-9 {
				t.Fatalf("slot %d: linear %v, generic %v", i, a.Schedule[i], b.Schedule[i])
			}
		}
	}
}
