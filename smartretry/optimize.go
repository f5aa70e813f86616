package smartretry

import (
	"math"
	"time"
)

// Objective sets what a schedule is worth.
type Objective struct {
	// AttemptCost is charged for every attempt, in the invoice's minor
	// units (network excess-attempt fees are about 10–50 cents).
	AttemptCost float64
	// DailyDiscount values money recovered d days after the decision at
	// exp(-DailyDiscount·d): earlier recovery keeps the subscription
	// running and wins ties between otherwise equal slots.
	DailyDiscount float64
	// MinSpacing is the least time between two attempts.
	MinSpacing time.Duration
	// PerDay is how many hours per local day the continuation considers.
	PerDay int
	// ReminderValue is how much one more reminder raises, per remaining
	// hour of the window, the rate at which a customer in dunning pays by
	// themselves: the engine emails the customer after every failed
	// attempt, and reminders raise the chance that the customer updates
	// the card or pays (EstimateReminderValue learns it from a ledger).
	// A failure at slot j leaves the customer's payment to recover a share
	// 1 − exp(−ReminderValue·(end − j)) of what the later retries would
	// not: the optimizer maximises the probability of recovery within the
	// window, with the customer's payments counted, as the evaluation does.
	ReminderValue float64
	// Probes is how many of the earliest allowed hours are always
	// candidates, so the optimizer can place early attempts whose worth
	// is mostly their reminder.
	Probes int
}

// DefaultObjective is used when a planner is built without one.
func DefaultObjective() Objective {
	return Objective{AttemptCost: 10, DailyDiscount: 0.002, MinSpacing: 2 * time.Hour, PerDay: 3}
}

// schedule is the optimizer's answer: slots in order with the chance of
// each (given that the earlier ones failed), and the plan's value.
type schedule struct {
	slots []int
	probs []float64
	value float64
}

// solve chooses up to k attempts on g by dynamic programming over
// (slot of the last failure, retries left). V_r(i) is the best expected
// value after a failure at slot i with r retries left:
//
//	V_r(i) = max(0, max_{j ≥ i+spacing, allowed} p_r(j|i)·A·disc(j) − cost + (1−p_r(j|i))·V_{r−1}(j))
//
// where p_r(j|i) is the model's hazard for the next attempt at j given the
// failure at i (the previous-attempt features are recomputed per pair).
// The first retry ranges over the whole grid; later ones over the best
// PerDay hours of each day, so the work is about N·C + k·C² evaluations
// of products of precomputed exponentials.
func solve(g *grid, k int, amount float64, obj Objective) schedule {
	if k <= 0 || g.n == 0 {
		return schedule{}
	}
	per := max(obj.PerDay, 1)
	spacing := int(math.Ceil(obj.MinSpacing.Hours()))
	// Both paths rank hours by the next attempt's log-odds, so a scorer of
	// another family gets the same candidate states as the linear one.
	g.cont = g.topPerDay(g.cont, g.zFirst, per)
	g.cont = g.withProbes(g.cont, obj.Probes)
	g.frst = append(g.frst[:0], g.cont...)
	cont, first := g.cont, g.frst
	// Only candidate slots are read: slots lists them (cont and first).
	g.un = union(g.un[:0], cont, first)
	slots := g.un
	// disc[j] discounts money recovered at slot j. A failure at j sends a
	// reminder, after which the customer pays by themselves, before the
	// window ends, a share 1−rho[j] of what the later retries would leave
	// unrecovered; eff[j] is then the worth of the state after a failure
	// at j (reminders.go).
	g.disc = resize(g.disc, g.n)
	g.rem = resize(g.rem, 2*g.n)
	disc, rho, eff := g.disc, g.rem[:g.n], g.rem[g.n:]
	lead := g.start.Sub(g.c.Decision).Hours() / 24
	for _, j := range slots {
		g.settle(j)
		disc[j] = math.Exp(-obj.DailyDiscount * (lead + float64(j)/24))
		rho[j] = 1
		if obj.ReminderValue != 0 {
			rho[j] = math.Exp(-obj.ReminderValue * float64(g.n-1-j))
		}
	}

	// V[r][i], best[r][i] for r = 0..k-1 (rows of n); V[0] is zero. A
	// level reads only the candidate states the level below wrote.
	g.vals = resize(g.vals, k*g.n)
	clear(g.vals[:g.n])
	g.best = resize(g.best, k*g.n)
	V := func(r int) []float64 { return g.vals[r*g.n : (r+1)*g.n] }
	best := func(r int) []int { return g.best[r*g.n : (r+1)*g.n] }
	if g.lin != nil {
		g.buildCrossTable()
	}
	for r := 1; r < k; r++ {
		n := g.nDone + (k - r) + 1 // attempt number of the retry chosen at level r
		states := cont
		if r == k-1 {
			states = slots
		}
		vr, br := V(r), best(r)
		effective(eff, V(r-1), rho, disc, amount, cont)
		var eA float64
		if g.lin != nil {
			eA = g.eBase * g.attemptFactor(n)
		}
		from := 0 // first of cont at least spacing after i; states ascend
		for _, i := range states {
			bv, bj := 0.0, -1
			for from < len(cont) && cont[from] < i+spacing {
				from++
			}
			if g.lin != nil {
				// The hot loop: P = 1/(1+q) with q a product of cached factors.
				cross := g.crossTab[g.dayIdx[i]]
				eAi := eA * g.ePrev[i]
				for _, j := range cont[from:] {
					p := 1 / (1 + eAi*g.eU[j]*g.eGap[j-i]*cross[g.dayIdx[j]])
					q := p*amount*disc[j] - obj.AttemptCost + (1-p)*eff[j]
					if q > bv {
						bv, bj = q, j
					}
				}
			} else {
				for _, j := range cont[from:] {
					p := g.prob(i, j, n)
					q := p*amount*disc[j] - obj.AttemptCost + (1-p)*eff[j]
					if q > bv {
						bv, bj = q, j
					}
				}
			}
			vr[i], br[i] = bv, bj
		}
	}
	bv, bj := 0.0, -1
	effective(eff, V(k-1), rho, disc, amount, first)
	for _, j := range first {
		p := g.firstProb(j)
		q := p*amount*disc[j] - obj.AttemptCost + (1-p)*eff[j]
		if q > bv {
			bv, bj = q, j
		}
	}
	sch := schedule{value: bv}
	prev, n := -1, g.nDone+1
	for r, j := k, bj; j >= 0; r-- {
		sch.slots = append(sch.slots, j)
		sch.probs = append(sch.probs, g.prob(prev, j, n))
		if r-1 <= 0 {
			break
		}
		prev, n, j = j, n+1, best(r - 1)[j]
	}
	return sch
}

// effective sets eff[j], the worth of a failure at j, for the slots j
// read: the later retries' worth next[j], plus the customer's own
// payment, which the failure's reminder brings in with probability
// 1−rho[j] when they fail.
func effective(eff, next, rho, disc []float64, amount float64, slots []int) {
	for _, j := range slots {
		eff[j] = rho[j]*next[j] + (1-rho[j])*amount*disc[j]
	}
}

// union appends to out the sorted union of the sorted a and b.
func union(out, a, b []int) []int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
