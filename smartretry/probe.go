package smartretry

import (
	"math"
)

// probe weighs a probe against the optimizer's plan sch: a retry at the
// first allowed hour, when that hour is within ProbeWindow of the first
// failure, followed by the best plan of the other k−1 retries. A probe
// seldom succeeds, but the reminder its failure sends raises the chance
// that the customer pays by themselves for the rest of the window, and
// (Case.counted) the model does not read its failure as a lost chance, so
// the later retries keep their worth. The optimizer's own recursion counts
// every planned retry, so it cannot see that; this comparison, made only
// for the next retry, can. ok is false when the probe is not better.
func probe(g *grid, c *Case, k int, amount float64, obj Objective, sch schedule) (schedule, bool) {
	if k < 2 || obj.ReminderValue <= 0 {
		return sch, false
	}
	s0 := -1
	for j := 0; j < g.n; j++ {
		if g.allowed[j] {
			s0 = j
			break
		}
	}
	if s0 < 0 || g.at(s0).Sub(c.first().At) >= ProbeWindow || (len(sch.slots) > 0 && sch.slots[0] == s0) {
		return sch, false
	}
	// The other retries come at least the minimum spacing after it.
	spacing := max(int(math.Ceil(obj.MinSpacing.Hours())), 1)
	var masked []int
	for j := s0; j < min(s0+spacing, g.n); j++ {
		if g.allowed[j] {
			g.allowed[j] = false
			masked = append(masked, j)
		}
	}
	rest := solve(g, k-1, amount, obj)
	for _, j := range masked {
		g.allowed[j] = true
	}
	lead := g.start.Sub(c.Decision).Hours() / 24
	disc := math.Exp(-obj.DailyDiscount * (lead + float64(s0)/24))
	rho := math.Exp(-obj.ReminderValue * float64(g.n-1-s0))
	p0 := g.firstProb(s0)
	v := p0*amount*disc - obj.AttemptCost + (1-p0)*(rho*rest.value+(1-rho)*amount*disc)
	if v <= sch.value {
		return sch, false
	}
	out := schedule{value: v, slots: append([]int{s0}, rest.slots...), probs: append([]float64{p0}, rest.probs...)}
	return out, true
}
