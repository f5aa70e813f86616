package smartretry

import (
	"context"

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
	if p.fallbackFor(&rc) {
		rec, err := p.Fallback.plan(ctx, rc, candidates)
		if err == nil && rec.Plan.Retry {
			rec.Plan.Explanation += "; the card was updated since the first failure, so the logistic model planned this (the latent classes describe the old card)"
		}
		return rec, err
	}
	var rec Recommendation
	plan, err := p.plan(ctx, rc, &rec, candidates)
	if err != nil {
		return Recommendation{}, err
	}
	rec.Plan = plan
	return rec, nil
}
