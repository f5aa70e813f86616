package smartretry

import (
	"math"
	"time"
)

// Chance is the mixture's probability that an attempt at `at` succeeds
// given the case's attempts so far (all failed): the hazard of each state
// (a class, and for a cure class when its hold lifts) weighted by the
// state posterior after those failures and the card's activity, the quantity the
// planner's slot probabilities and MixtureMetrics report. It is what a
// backtest replays a schedule against; the mixture knows nothing of a
// card updated since the first failure (its sequences are cut there), so
// such a case is the caller's to score another way.
//
// A mixture built in code whose tables do not have this build's shapes
// (checkMixture; Load refuses such a file) has no chance to give: Chance
// answers NaN rather than reading past its tables. The check is of
// lengths only, as Chance runs once per replayed attempt.
func (m *Mixture) Chance(c *Case, at time.Time) float64 {
	if !m.shaped() {
		return math.NaN()
	}
	first := c.first()
	end := at
	for _, t := range []time.Time{c.last().At, c.Decision} {
		if t.After(end) {
			end = t
		}
	}
	dep := payDeposits(c.Loc, first.At, end, m.DepositHour)
	cat, _ := categoryOf(first.DeclineCode)
	var pb [NumStates]float64
	prior := m.prior(string(cat), string(c.Funding), c.Country)
	if len(prior) != NumClasses {
		return math.NaN()
	}
	post := m.statePrior(pb[:0], prior)
	prev := dep.at(first.At, first.At)
	for _, a := range c.Attempts[1:] {
		cur := dep.at(a.At, first.At)
		for k := range post {
			post[k] *= 1 - m.Hazard[cell(k, &prev, &cur)]
		}
		prev = cur
	}
	if m.Activity != nil {
		// The card activity seen up to the decision, as the planner
		// weighs it.
		seen := c.last().At
		if c.Decision.After(seen) {
			seen = c.Decision
		}
		weighActivity(m, post, dep, first.At, seen, c.Activity)
	}
	cur := dep.at(at, first.At)
	var p, z float64
	for k := range post {
		p += post[k] * m.Hazard[cell(k, &prev, &cur)]
		z += post[k]
	}
	if z <= 0 {
		return 0
	}
	return p / z
}

// shaped reports whether m's tables have this build's lengths, which is
// what reading them without bounds failures needs (checkMixture checks
// their values too).
func (m *Mixture) shaped() bool {
	return m != nil && len(m.Hazard) == numCells && len(m.CureOnset) == numCures*(numOnset+1) &&
		(m.Activity == nil || len(m.Activity) == numAct) && m.DepositHour >= 0 && m.DepositHour <= 23
}
