package dunning

import (
	"context"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// decide runs a domain decision, then, if it scheduled the retry after a
// failure and exploration is on, may replace that retry's time by a
// uniformly drawn allowed hour and decide again with that choice as the
// plan. The domain places either choice within the network rules.
func (e *Engine) decide(s domain.Situation, f func(domain.Situation) ([]domain.Event, error)) ([]domain.Event, error) {
	evs, err := f(s)
	if err != nil || e.cfg.exploreRate <= 0 {
		return evs, err
	}
	plan, i := e.exploration(s, evs)
	if plan == nil {
		return evs, nil
	}
	if plan.Source != domain.SourceExplore {
		// Not explored: the decision stands; only its logged propensity
		// changes, so there is no need to decide again.
		r := evs[i].(domain.RetryScheduled)
		r.Propensity = plan.Propensity
		evs[i] = r
		return evs, nil
	}
	s.Plan = plan
	return f(s)
}

// decideDue adapts domain.DecideDue to decide.
func (e *Engine) decideDue(s domain.Situation) (domain.Due, error) {
	var due domain.Due
	_, err := e.decide(s, func(s domain.Situation) ([]domain.Event, error) {
		d, err := domain.DecideDue(s)
		due = d
		return d.Events, err
	})
	return due, err
}

// exploration returns the plan that replaces the failure decision's retry
// (evs[i]), or nil when evs schedules none. Every retry after a failure
// passes through it, explored or not, so its propensity is logged.
func (e *Engine) exploration(s domain.Situation, evs []domain.Event) (*domain.RetryPlan, int) {
	var r *domain.RetryScheduled
	idx, failed := -1, false
	for i, ev := range evs {
		switch v := ev.(type) {
		case domain.PaymentAttempted:
			failed = v.Outcome == domain.Failed
		case domain.RetryScheduled:
			r, idx = &v, i
		}
	}
	if r == nil || r.Source == domain.SourceExplore || !(failed || s.Invoice.FailurePending()) {
		return nil, -1
	}
	spec, start := s.Preset, s.Now
	if run := s.Invoice.Run; run != nil {
		spec, start = run.Preset, run.StartedAt
	}
	end := (&domain.DunningRun{Preset: spec, StartedAt: start}).Deadline()
	from := s.Now.Truncate(time.Hour).Add(time.Hour)
	if !end.After(from) {
		return nil, -1
	}
	def := choice{At: r.At, Source: r.Source, Propensity: r.Propensity}
	ch := explore(e.cfg.exploreRate, e.cfg.seed, s.Invoice.ID, r.AttemptNumber, def, from, int(end.Sub(from)/time.Hour)+1)
	return &domain.RetryPlan{Retry: true, At: ch.At, Source: ch.Source, Propensity: ch.Propensity,
		ModelVersion: r.ModelVersion, Probability: r.Score}, idx
}

// smartPlan asks the planner for a smart run's next retry; if it fails,
// the heuristic stands in and the failure is logged.
func (e *Engine) smartPlan(ctx context.Context, inv *invoice, s domain.Situation) *domain.RetryPlan {
	rc := s.RetryContext()
	if c := e.st.customers[inv.agg.CustomerID]; c != nil {
		rc.CustomerCountry, rc.CustomerTimeZone = c.country, c.tz
	}
	if c := e.st.cards[rc.PaymentMethodID]; c != nil {
		rc.Funding, rc.CardCountry, rc.PaymentMethodUpdatedAt = c.funding, c.country, c.updatedAt
		rc.CardActivity = append([]time.Time(nil), c.activity...)
	}
	plan, err := e.planner.PlanRetry(ctx, rc)
	if err != nil {
		e.log.Warn("dunning: retry planner failed; using "+HeuristicVersion, "invoice", inv.id, "err", err)
		plan, _ = HeuristicPlanner{}.PlanRetry(ctx, rc)
	}
	if plan.Retry && plan.At.Before(s.Now) {
		plan.At = s.Now
	}
	return &plan
}
