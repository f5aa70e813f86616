package smartretry

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

func TestPlannerFollowsNetworkRules(t *testing.T) {
	m := randomModel(rand.New(rand.NewPCG(6, 6)))
	at := time.Date(2026, 3, 3, 10, 17, 0, 0, time.UTC)
	base := func(n domain.Network, code, advice string) domain.RetryContext {
		c := Case{Amount: 2000, Network: n, Funding: domain.Debit, Country: "US", Loc: time.UTC, Attempts: []Attempt{{At: at, DeclineCode: code, AdviceCode: advice}}, Decision: at}
		rc := contextFor(&c, 3, 7*24*time.Hour)
		rc.PaymentMethodID = "pm_1"
		rc.CardAttempts = []time.Time{at}
		return rc
	}
	updated := at.Add(5 * time.Hour)
	tests := []struct {
		name     string
		rc       domain.RetryContext
		retry    bool
		earliest time.Time
	}{
		{"visa category 1", base(domain.Visa, "stolen_card", ""), false, time.Time{}},
		{"mastercard advice 03", base(domain.Mastercard, "do_not_honor", "03"), false, time.Time{}},
		{"mastercard advice 21", base(domain.Mastercard, "do_not_honor", "21"), false, time.Time{}},
		{"mastercard advice 26 waits 2 days", base(domain.Mastercard, "do_not_honor", "26"), true, at.Add(48 * time.Hour)},
		{"visa funds", base(domain.Visa, "insufficient_funds", ""), true, at},
		{"new credentials after a stolen card", func() domain.RetryContext {
			rc := base(domain.Visa, "stolen_card", "")
			rc.PaymentMethodUpdatedAt = &updated
			rc.Now = updated
			return rc
		}(), true, updated},
		{"visa cap of 15 reattempts in 30 days", func() domain.RetryContext {
			rc := base(domain.Visa, "insufficient_funds", "")
			rc.CardAttempts = nil
			// 16 declines 29 days ago: the card is capped until they
			// leave the 30-day window, a day from now.
			for i := 0; i < 16; i++ {
				rc.CardAttempts = append(rc.CardAttempts, at.Add(-29*24*time.Hour+time.Duration(i)*time.Hour))
			}
			return rc
		}(), true, at.Add(24 * time.Hour)},
	}
	p := NewPlanner(m, nil)
	p.Objective.AttemptCost = 0
	for _, tc := range tests {
		plan, err := p.PlanRetry(context.Background(), tc.rc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if plan.Retry != tc.retry {
			t.Errorf("%s: retry %v, want %v (%s)", tc.name, plan.Retry, tc.retry, plan.Explanation)
			continue
		}
		for _, s := range plan.Schedule {
			if s.At.Before(tc.earliest) {
				t.Errorf("%s: slot %v before the earliest allowed %v", tc.name, s.At, tc.earliest)
			}
		}
	}
}
