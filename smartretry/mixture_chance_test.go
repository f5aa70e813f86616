package smartretry

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Chance is the probability the planner reports for each slot of its
// schedule (each planned failure conditioning the next).
func TestMixtureChanceMatchesPlanner(t *testing.T) {
	m, loc := fitNewYork(t, paySequences, 5, 6, 3000, MixtureOptions{Iterations: 20, DepositHours: []int{6}})
	failed := time.Date(2026, 7, 20, 10, 0, 0, 0, loc)
	rc := fundsFailure(failed, 4)
	p := NewMixturePlanner(m, nil, nil)
	p.Objective.AttemptCost = 0
	plan, err := p.PlanRetry(context.Background(), rc)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Schedule) < 2 {
		t.Fatalf("want a schedule of several retries, got %+v", plan.Schedule)
	}
	c, err := CaseFromContext(&rc)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range plan.Schedule {
		if got := m.Chance(&c, s.At); math.Abs(got-s.Probability) > 1e-12 {
			t.Errorf("slot %d at %s: Chance %.6f, planner %.6f", i, s.At, got, s.Probability)
		}
		c.Attempts = append(c.Attempts, Attempt{At: s.At, DeclineCode: "insufficient_funds"})
	}

}

func BenchmarkMixtureChance(b *testing.B) {
	m, loc := fitNewYork(b, paySequences, 5, 6, 2000, MixtureOptions{Iterations: 10, DepositHours: []int{6}})
	failed := time.Date(2026, 7, 20, 10, 0, 0, 0, loc)
	c := Case{Funding: domain.Debit, Country: "US", Loc: loc, Attempts: []Attempt{{At: failed, DeclineCode: "insufficient_funds"},
		{At: failed.Add(24 * time.Hour), DeclineCode: "insufficient_funds"}, {At: failed.Add(72 * time.Hour), DeclineCode: "insufficient_funds"}}}
	at := failed.Add(7 * 24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		m.Chance(&c, at)
	}
}
