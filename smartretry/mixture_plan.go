package smartretry

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// MixturePlanner plans retries with the latent-class model. It implements
// the engine's RetryPlanner. An invoice whose card was updated since its
// first failure is another process; Fallback (the logistic planner)
// plans it.
type MixturePlanner struct {
	M         *Mixture
	Fallback  *Planner
	Objective Objective
	Rules     Rules
}

// NewMixturePlanner returns a planner over m with the default objective.
func NewMixturePlanner(m *Mixture, fallback *Planner, rules Rules) *MixturePlanner {
	return &MixturePlanner{M: m, Fallback: fallback, Objective: DefaultObjective(), Rules: rules}
}

// Posterior is the class posterior of an invoice after its failed
// attempts so far (the invoice's card not updated since).
func (p *MixturePlanner) Posterior(c *Case) []float64 {
	post, _ := p.posterior(c, nil)
	return post
}

func (p *MixturePlanner) posterior(c *Case, dep *deposits) ([]float64, point) {
	first := c.first()
	if dep == nil {
		dep = payDeposits(c.Loc, first.At, c.last().At, p.M.DepositHour)
	}
	cat, _ := categoryOf(first.DeclineCode)
	pr := p.M.prior(string(cat), string(c.Funding), c.Country)
	post := append([]float64(nil), pr...)
	prev := dep.at(first.At, first.At)
	for _, a := range c.Attempts[1:] {
		cur := dep.at(a.At, first.At)
		for k := range post {
			post[k] *= 1 - p.M.Hazard[cell(k, &prev, &cur)]
		}
		prev = cur
	}
	var z float64
	for _, v := range post {
		z += v
	}
	for k := range post {
		post[k] /= z
	}
	return post, prev
}

// PlanRetry implements the engine's RetryPlanner.
func (p *MixturePlanner) PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	if err := ctx.Err(); err != nil {
		return domain.RetryPlan{}, fmt.Errorf("plan retry: %w", err)
	}
	stop := func(why string) (domain.RetryPlan, error) {
		return domain.RetryPlan{Source: domain.SourceSmart, ModelVersion: p.M.Version(), Explanation: why}, nil
	}
	if rc.RetriesLeft <= 0 {
		return stop("no retries left in the preset")
	}
	c, err := CaseFromContext(&rc)
	if err != nil {
		return domain.RetryPlan{}, err
	}
	if c.last().Succeeded {
		return stop("the last attempt succeeded")
	}
	first := c.first()
	if !c.PMUpdatedAt.IsZero() && c.PMUpdatedAt.After(first.At) && p.Fallback != nil {
		return p.Fallback.PlanRetry(ctx, rc)
	}
	obj := p.Objective
	start := rc.Now
	if s := c.last().At.Add(obj.MinSpacing); s.After(start) {
		start = s
	}
	start = ceilFrom(first.At, start)
	end := rc.WindowEnd
	if end.IsZero() {
		end = first.At.Add(DefaultWindow)
	}
	if end.Before(start) {
		return stop("the window has ended")
	}
	n := int(end.Sub(start)/time.Hour) + 1
	rules := p.Rules
	if rules == nil {
		rules = NetworkRules
	}
	earliest, rule := rules(&rc, start)
	if earliest.IsZero() {
		return stop("no retry allowed: the card networks forbid retrying this card (" + rule + ")")
	}
	from := 0
	if d := earliest.Sub(start); d > 0 {
		from = int((d + time.Hour - 1) / time.Hour)
	}
	if from >= n {
		return stop("no retry allowed: the window has ended")
	}
	dep := payDeposits(c.Loc, first.At, end, p.M.DepositHour)
	post, last := p.posterior(&c, dep)
	pts := make([]point, n)
	for j := from; j < n; j++ {
		pts[j] = dep.at(start.Add(time.Duration(j)*time.Hour), first.At)
	}
	slots := p.choose(post, &last, pts, from, rc.RetriesLeft, float64(c.Amount), obj)
	if len(slots) == 0 {
		return stop("no slot's expected recovery covers the attempt cost")
	}
	plan := domain.RetryPlan{Retry: true, Source: domain.SourceSmart, ModelVersion: p.M.Version(), Propensity: 1}
	w := append([]float64(nil), post...)
	prev := &last
	for i, j := range slots {
		var pj, z float64
		for k := range w {
			h := p.M.Hazard[cell(k, prev, &pts[j])]
			pj += w[k] * h
			z += w[k]
			if i == 0 {
				plan.Contributions = append(plan.Contributions, domain.Contribution{Feature: "class " + ClassName(k), Value: post[k], Effect: post[k] * h})
			}
			w[k] *= 1 - h
		}
		plan.Schedule = append(plan.Schedule, domain.PlannedSlot{At: start.Add(time.Duration(j) * time.Hour), Probability: pj / z})
		prev = &pts[j]
	}
	plan.At, plan.Probability = plan.Schedule[0].At, plan.Schedule[0].Probability
	sort.SliceStable(plan.Contributions, func(a, b int) bool { return plan.Contributions[a].Value > plan.Contributions[b].Value })
	plan.Contributions = plan.Contributions[:min(len(plan.Contributions), 5)]
	plan.Explanation = explain(&plan, c.Loc, rc.RetriesLeft) + "; latent classes:" + classList(plan.Contributions)
	return plan, nil
}

// sameCells reports whether every class's hazard cells are the same for
// an attempt at p as at q, whatever the attempts around them.
func (p *point) sameCells(q *point) bool {
	return p.idx == q.idx && p.fcell == q.fcell && p.ccell == q.ccell && p.block == q.block
}

func classList(cs []domain.Contribution) string {
	b := make([]byte, 0, 128)
	for _, c := range cs {
		b = append(b, ' ')
		b = append(b, c.Feature[len("class "):]...)
		b = append(b, '=')
		b = strconv.AppendFloat(b, c.Value, 'f', 2, 64)
	}
	return string(b)
}

// choose picks up to k slots of pts[from:] by greedy insertion: each
// step adds the slot that most raises the chance of recovery within the
// window, Σ over classes of the posterior times the chance that some
// planned retry succeeds, with each planned failure updating the
// posterior of the ones after it (an insertion changes the hazard of the
// retry after it, whose previous attempt it becomes); the customer's own
// payment after each failure's reminder counts as the optimizer's does
// (Objective.ReminderValue). It stops when no slot is worth its cost.
func (p *MixturePlanner) choose(post []float64, last *point, pts []point, from, k int, amount float64, obj Objective) []int {
	n := len(pts)
	spacing := max(int(math.Ceil(obj.MinSpacing.Hours())), 1)
	K := len(post)
	surv := make([]float64, K) // P(all chosen fail | class)
	for i := range surv {
		surv[i] = 1
	}
	remind := 1.0 // Π rho over the chosen slots
	var chosen []int
	haz := p.M.Hazard
	value := 0.0 // chance of recovery of the chosen set
	// A slot that every class sees as the slot before it (same deposit
	// periods and buckets, same cure bucket and block) has the same
	// hazards as it, before and after, and a smaller reminder worth: it
	// is only a candidate when the slot before it was not.
	same := make([]bool, n)
	for j := from + 1; j < n; j++ {
		same[j] = pts[j].sameCells(&pts[j-1])
	}
	for len(chosen) < k {
		bestV, bestJ := value, -1
		var bestPos int
		pos := 0
		open := false // the slot before was a feasible candidate
		for j := from; j < n; j++ {
			for pos < len(chosen) && chosen[pos] < j {
				pos++
			}
			if (pos > 0 && j-chosen[pos-1] < spacing) || (pos < len(chosen) && chosen[pos]-j < spacing) {
				open = false
				continue
			}
			if open && same[j] {
				continue
			}
			open = true
			a := last
			if pos > 0 {
				a = &pts[chosen[pos-1]]
			}
			cur := &pts[j]
			var s float64
			if pos < len(chosen) {
				b := &pts[chosen[pos]]
				for q := 0; q < K; q++ {
					s += post[q] * surv[q] * (1 - haz[cell(q, a, cur)]) * (1 - haz[cell(q, cur, b)]) / (1 - haz[cell(q, a, b)])
				}
			} else {
				for q := 0; q < K; q++ {
					s += post[q] * surv[q] * (1 - haz[cell(q, a, cur)])
				}
			}
			rho := 1.0
			if obj.ReminderValue != 0 {
				rho = math.Exp(-obj.ReminderValue * float64(n-1-j))
			}
			v := 1 - remind*rho*s
			if v > bestV {
				bestV, bestJ, bestPos = v, j, pos
			}
		}
		if bestJ < 0 || (bestV-value)*amount <= obj.AttemptCost {
			break
		}
		// Insert and recompute the survivals along the new sequence.
		chosen = append(chosen, 0)
		copy(chosen[bestPos+1:], chosen[bestPos:])
		chosen[bestPos] = bestJ
		remind = 1
		for q := range surv {
			surv[q] = 1
		}
		a := last
		for _, j := range chosen {
			for q := range surv {
				surv[q] *= 1 - haz[cell(q, a, &pts[j])]
			}
			if obj.ReminderValue != 0 {
				remind *= math.Exp(-obj.ReminderValue * float64(n-1-j))
			}
			a = &pts[j]
		}
		value = bestV
	}
	return chosen
}
