package simulator

import (
	"math"
	"sort"
)

// The functions here are the world's truth about one slot given the
// latent state. The world draws outcomes with them and the Bayes oracle
// integrates over latent states with the very same functions, so the two
// can never disagree about the model.

// approval is the chance that an attempt at slot succeeds, and the noise
// key of the draw deciding it: attempts sharing a key share one uniform.
// Card updates are handled by the caller (newCard true for an attempt on
// refreshed credentials).
func (m *Model) approval(l *latent, inv *Invoice, slot int, newCard bool) (p float64, noise uint64) {
	if !l.alive {
		return 0, noiseSameCard
	}
	switch l.cause {
	case CauseFunds:
		f := &m.W.Causes.Funds
		j := depositPeriod(l.deposits, slot)
		if j == 0 {
			// The failed first attempt shares period 0's draw and the
			// chance is flat until pay lands: nothing can succeed.
			return 0, noiseSameCard
		}
		age := float64(slot - l.deposits[j-1])
		return f.BetweenPaydays + f.AtDeposit*math.Exp(-age/(24*f.DecayDays)), noiseSameCard + uint64(j)
	case CauseHold, CauseTechnical:
		c := m.cure(l.cause)
		block := uint64(slot / c.NoisePeriodHours)
		if slot < l.cure {
			return 0, noiseSameCard + block
		}
		return c.Approval * hourFactor(c, inv.LocalHour(slot)), noiseSameCard + block
	default: // update causes
		if !newCard {
			return 0, noiseSameCard
		}
		return m.update(l.cause).NewCardApproval, noiseNewCard + uint64(slot)
	}
}

// depositPeriod is the number of deposits at or before slot.
func depositPeriod(deposits []int, slot int) int {
	return sort.SearchInts(deposits, slot+1)
}

// activityRate is the card activity rate per hour at slot.
func (m *Model) activityRate(l *latent, slot int) float64 {
	a := &m.W.Activity
	live, idle := a.LivePerDay/24, a.IdlePerDay/24
	if !l.alive {
		return idle
	}
	switch l.cause {
	case CauseFunds:
		j := depositPeriod(l.deposits, slot)
		if j == 0 {
			return live
		}
		age := float64(slot - l.deposits[j-1])
		return live * (1 + a.PaydayBoost*math.Exp(-age/(24*m.W.Causes.Funds.DecayDays)))
	case CauseHold, CauseTechnical:
		if slot < l.cure {
			return idle
		}
		return live
	default:
		if l.updatedAt >= 0 && float64(slot) >= l.updatedAt {
			return live
		}
		return idle
	}
}

// Activity returns the card activity of the case (hours after the
// failure, ascending) up to ReplayHorizon. It is drawn by
// thinning a Poisson process at the maximal rate, from the case's own
// stream, so it does not depend on any policy.
func (c *Case) Activity(m *Model) []float64 {
	horizon := ReplayHorizon
	if c.actDrawn {
		return c.activity
	}
	c.actDrawn = true
	a := &m.W.Activity
	maxRate := a.LivePerDay / 24 * (1 + a.PaydayBoost)
	r := newStream(c.seed, c.pop, c.Inv.Index, purposeActivity)
	l := c.h.latent
	if c.h.updaterAt < math.Inf(1) {
		l.updatedAt = c.h.updaterAt
	}
	t := 0.0
	for {
		t += r.exp() / maxRate
		if t >= float64(horizon) {
			break
		}
		if r.Float64()*maxRate < m.activityRate(&l, int(t)) {
			c.activity = append(c.activity, t)
		}
	}
	return c.activity
}
