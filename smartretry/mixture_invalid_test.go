package smartretry

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// A mixture built in code whose tables do not fit the layout is refused
// by every plan, recommendation and chance, naming the field, rather
// than read out of bounds (a file's tables are checked when read).
func TestMixturePlannerRefusesMisshapenMixture(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	tests := []struct {
		name  string
		edit  func(m *Mixture)
		field string
	}{
		{"no cure onsets", func(m *Mixture) { m.CureOnset = nil }, "mixture.CureOnset:"},
		{"short hazards", func(m *Mixture) { m.Hazard = m.Hazard[:10] }, "mixture.Hazard:"},
		{"short global prior", func(m *Mixture) { m.GlobalPrior = m.GlobalPrior[:2] }, "mixture.GlobalPrior:"},
		{"activity of another length", func(m *Mixture) { m.Activity = []float64{0.1} }, "mixture.Activity:"},
	}
	ctx := context.Background()
	for _, tc := range tests {
		m := randomMixture(r, 0)
		tc.edit(m)
		p := NewMixturePlanner(m, nil, nil)
		rc, obj, rules := randomPlanCase(r)
		p.Objective, p.Rules = obj, rules
		if err := p.Err(); !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Err() = %v, want ErrModelFile naming %s", tc.name, err, tc.field)
		}
		if _, err := p.PlanRetry(ctx, rc); !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: PlanRetry error %v, want ErrModelFile naming %s", tc.name, err, tc.field)
		}
		if _, err := p.Recommend(ctx, rc); !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: Recommend error %v, want ErrModelFile naming %s", tc.name, err, tc.field)
		}
		c, err := CaseFromContext(&rc)
		if err != nil {
			t.Fatal(err)
		}
		if post := p.Posterior(&c); post != nil {
			t.Errorf("%s: Posterior = %v, want nil", tc.name, post)
		}
		if tc.name != "short global prior" { // the case's own prior may be a full one
			if ch := m.Chance(&c, c.last().At.Add(24*3600e9)); !math.IsNaN(ch) {
				t.Errorf("%s: Chance = %v, want NaN", tc.name, ch)
			}
		}
	}
	// The same planner over a whole mixture plans.
	m := randomMixture(r, 0)
	p := NewMixturePlanner(m, nil, nil)
	rc, _, _ := randomPlanCase(r)
	if err := p.Err(); err != nil {
		t.Fatalf("a random mixture: %v", err)
	}
	if _, err := p.PlanRetry(ctx, rc); err != nil {
		t.Fatalf("a random mixture: %v", err)
	}
	if _, err := (&MixturePlanner{}).PlanRetry(ctx, rc); !errors.Is(err, ErrModelFile) {
		t.Errorf("no mixture: PlanRetry error %v, want ErrModelFile", err)
	}
}
