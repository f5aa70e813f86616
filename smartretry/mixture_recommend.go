package smartretry

import (
	"context"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Recommend plans like PlanRetry and also scores every allowed slot of
// the window: a candidate's probability is the chance that a retry there,
// as the next attempt, succeeds under the invoice's class posterior
// (Σ_k posterior_k · hazard_k). An invoice whose card was updated goes to
// the fallback's Recommend, as PlanRetry sends it to the fallback.
func (p *MixturePlanner) Recommend(ctx context.Context, rc domain.RetryContext) (Recommendation, error) {
	return p.recommend(ctx, rc, true)
}

// RecommendSchedule is Recommend without the scored candidates.
func (p *MixturePlanner) RecommendSchedule(ctx context.Context, rc domain.RetryContext) (Recommendation, error) {
	return p.recommend(ctx, rc, false)
}

func (p *MixturePlanner) recommend(ctx context.Context, rc domain.RetryContext, candidates bool) (Recommendation, error) {
	if len(rc.Attempts) > 0 && p.Fallback != nil {
		c, err := CaseFromContext(&rc)
		if err != nil {
			return Recommendation{}, err
		}
		if !c.PMUpdatedAt.IsZero() && c.PMUpdatedAt.After(c.first().At) {
			if candidates {
				return p.Fallback.Recommend(ctx, rc)
			}
			return p.Fallback.RecommendSchedule(ctx, rc)
		}
	}
	plan, err := p.PlanRetry(ctx, rc)
	if err != nil {
		return Recommendation{}, err
	}
	rec := Recommendation{Plan: plan}
	if rc.RetriesLeft <= 0 {
		return rec, nil
	}
	c, err := CaseFromContext(&rc)
	if err != nil {
		return Recommendation{}, err
	}
	if c.last().Succeeded {
		return rec, nil
	}
	first := c.first()
	start := rc.Now
	if s := c.last().At.Add(p.Objective.MinSpacing); s.After(start) {
		start = s
	}
	start = ceilFrom(first.At, start)
	end := rc.WindowEnd
	if end.IsZero() {
		end = first.At.Add(DefaultWindow)
	}
	rec.Window, rec.Location = [2]time.Time{start, end}, c.Loc
	if !candidates || end.Before(start) {
		return rec, nil
	}
	rules := p.Rules
	if rules == nil {
		rules = NetworkRules
	}
	earliest, _ := rules(&rc, start)
	if earliest.IsZero() {
		return rec, nil
	}
	n := int(end.Sub(start)/time.Hour) + 1
	from := 0
	if d := earliest.Sub(start); d > 0 {
		from = int((d + time.Hour - 1) / time.Hour)
	}
	if from >= n {
		return rec, nil
	}
	dep := payDeposits(c.Loc, first.At, end, p.M.DepositHour)
	post, last := p.posterior(nil, &c, dep)
	pts := make([]point, n)
	dep.grid(pts, start, first.At, from)
	rec.Candidates = make([]domain.PlannedSlot, 0, n-from)
	for j := from; j < n; j++ {
		var pr float64
		for k, w := range post {
			pr += w * p.M.Hazard[cell(k, &last, &pts[j])]
		}
		rec.Candidates = append(rec.Candidates, domain.PlannedSlot{At: start.Add(time.Duration(j) * time.Hour), Probability: pr})
	}
	return rec, nil
}
