package backtest

import (
	"context"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Outcome is the backtest's model of a retry: the chance that a retry at
// `at` succeeds given the invoice's case so far (its attempts, all
// failed). row is scratch space of len(smartretry.FeatureNames()).
type Outcome interface {
	Chance(c *smartretry.Case, at time.Time, row []float64) float64
}

// Family names the model the backtest replays schedules against.
type Family string

const (
	// FamilyLogistic is the logistic hazard model (the default): the
	// deployed model, recalibrated out of fold (recal.go), and its refits.
	// A smart candidate planned by a deployed mixture is scored by that
	// mixture instead (Fitted.scoring).
	FamilyLogistic Family = "logistic"
	// FamilyMixture is the latent-class mixture fitted on the ledger
	// inside the backtest (the logistic model for retries on a card
	// updated since the first failure, as the mixture planner does). It
	// holds an issuer's same-day stickiness, which the additive logistic
	// family cannot, but on simulated histories its refits' spread is
	// narrower than its errors (it fell below the truth on every fixed
	// candidate of two seeds, and outside the interval on one; see
	// doc.go), so it is an option, not the default.
	FamilyMixture Family = "mixture"
)

// Models are fitted models: the logistic hazard model and, when the
// mixture is in use, the latent-class mixture fitted on the same rows.
type Models struct {
	Logistic smartretry.Scorer
	Mixture  *smartretry.Mixture
}

// Planner plans a smart candidate's retries (the engine's RetryPlanner).
type Planner interface {
	PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error)
}

// PlannerFunc builds the smart planner a deployment would build from
// fitted models.
type PlannerFunc func(m Models) Planner

// ShippedPlanner is the smart planner a deployment builds from models m
// with objective obj and the rules: the mixture's, falling back to the
// logistic planner for updated cards, when m has a mixture, else the
// logistic's (a model file's planner, as `recoup serve` builds it).
func ShippedPlanner(obj smartretry.Objective, rules smartretry.Rules) PlannerFunc {
	return func(m Models) Planner {
		return smartretry.NewShippedPlanner(m.Logistic, m.Mixture, obj, rules)
	}
}

// outcome is m as the backtest's outcome model, the logistic part
// recalibrated with r (recal.go).
func (m Models) outcome(r *Recalibration) Outcome {
	lin := scorerOutcome{recalibrated(m.Logistic, r)}
	if m.Mixture == nil {
		return lin
	}
	return mixtureOutcome{mix: m.Mixture, fallback: lin}
}

// scorerOutcome scores the feature row of the case at `at`.
type scorerOutcome struct{ sc smartretry.Scorer }

// Chance implements Outcome.
func (o scorerOutcome) Chance(c *smartretry.Case, at time.Time, row []float64) float64 {
	smartretry.Row(c, at, row)
	return o.sc.Score(row)
}

// mixtureOutcome is the mixture while the card that failed first is
// still the card, and the fallback once it was updated: the mixture's
// sequences end at a card update, a new card being another process.
type mixtureOutcome struct {
	mix      *smartretry.Mixture
	fallback Outcome
}

// Chance implements Outcome.
func (o mixtureOutcome) Chance(c *smartretry.Case, at time.Time, row []float64) float64 {
	if cardUpdated(c) {
		return o.fallback.Chance(c, at, row)
	}
	return o.mix.Chance(c, at)
}

// cardUpdated says whether the case's card was updated since its first
// failure: past it, the mixture's chances are the fallback's.
func cardUpdated(c *smartretry.Case) bool {
	return !c.PMUpdatedAt.IsZero() && c.PMUpdatedAt.After(c.Attempts[0].At)
}

// fallbackWatch passes chances through and notes whether any was asked
// of a case on an updated card (the mixture outcome's fallback).
type fallbackWatch struct {
	Outcome
	hit *bool
}

// Chance implements Outcome.
func (o fallbackWatch) Chance(c *smartretry.Case, at time.Time, row []float64) float64 {
	if cardUpdated(c) {
		*o.hit = true
	}
	return o.Outcome.Chance(c, at, row)
}
