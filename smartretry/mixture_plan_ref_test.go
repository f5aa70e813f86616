package smartretry

// The mixture planner as it was before its search was made fast: the
// reference that TestMixturePlannerMatchesReference compares the planner
// with, kept verbatim but for names.

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// PlanRetry implements the engine's RetryPlanner. An invoice whose card
// was updated goes to the fallback before any reason to stop is looked
// at, as recommendations do (MixturePlanner.fallbackFor; the reference
// once sent it there after them, so that the engine and the API could
// name different model versions for a context with no retries left).
func refPlanRetry(p *MixturePlanner, ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	if len(rc.Attempts) > 0 && p.Fallback != nil {
		c, err := CaseFromContext(&rc)
		if err != nil {
			return domain.RetryPlan{}, err
		}
		if !c.PMUpdatedAt.IsZero() && c.PMUpdatedAt.After(c.first().At) {
			return p.Fallback.PlanRetry(ctx, rc)
		}
	}
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
	post, last := refPosterior(p, &c, dep)
	pts := make([]point, n)
	dep.grid(pts, start, first.At, from)
	sv := make([]refSurvivals, n)
	for j := from; j < n; j++ {
		sv[j].refFill(p.M, &pts[j])
	}
	slots := refChoose(p, post, &last, pts, sv, from, rc.RetriesLeft, float64(c.Amount), obj)
	if len(slots) == 0 {
		return stop("no slot's expected recovery covers the attempt cost")
	}
	plan := domain.RetryPlan{Retry: true, Source: domain.SourceSmart, ModelVersion: p.M.Version(), Propensity: 1}
	w := append([]float64(nil), post...)
	prev := &last
	var cls, eff [NumClasses]float64
	for i, j := range slots {
		var pj, z float64
		for k := range w {
			h := p.M.Hazard[cell(k, prev, &pts[j])]
			pj += w[k] * h
			z += w[k]
			if i == 0 {
				cls[stateClass(k)] += post[k]
				eff[stateClass(k)] += post[k] * h
			}
			w[k] *= 1 - h
		}
		if i == 0 {
			for k := range cls {
				plan.Contributions = append(plan.Contributions, domain.Contribution{Feature: "class " + ClassName(k), Value: cls[k], Effect: eff[k]})
			}
		}
		plan.Schedule = append(plan.Schedule, domain.PlannedSlot{At: start.Add(time.Duration(j) * time.Hour), Probability: pj / z})
		prev = &pts[j]
	}
	plan.At, plan.Probability = plan.Schedule[0].At, plan.Schedule[0].Probability
	sort.SliceStable(plan.Contributions, func(a, b int) bool { return plan.Contributions[a].Value > plan.Contributions[b].Value })
	plan.Contributions = plan.Contributions[:min(len(plan.Contributions), 5)]
	plan.Explanation = explain(&plan, c.Loc, rc.RetriesLeft) + "; latent classes:" + refClassList(plan.Contributions)
	return plan, nil
}

// sameCells reports whether every class's hazard cells are the same for
// an attempt at p as at q, whatever the attempts around them.
func refSameCells(p, q *point) bool {
	return p.idx == q.idx && p.fcell == q.fcell && p.band == q.band && p.on == q.on && p.block == q.block
}

func refClassList(cs []domain.Contribution) string {
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
// Then each chosen slot in turn is moved to the best other place while
// that raises the chance (a few passes of local search), which undoes
// greedy's early commitments.
func refChoose(p *MixturePlanner, post []float64, last *point, pts []point, sv []refSurvivals, from, k int, amount float64, obj Objective) []int {
	n := len(pts)
	s := &refSearch{
		m: p.M, post: post, last: last, pts: pts, sv: sv, from: from,
		spacing: max(int(math.Ceil(obj.MinSpacing.Hours())), 1),
		surv:    make([]float64, len(post)),
		same:    make([]bool, n),
		rho:     make([]float64, n),
	}
	// A slot that every class sees as the slot before it (same deposit
	// periods and buckets; same local hour, onsets lifted by it and day
	// of the run) has the same hazards as it, before and after, and a
	// smaller reminder worth: it is only a candidate when the slot
	// before it was not.
	for j := from; j < n; j++ {
		s.same[j] = j > from && refSameCells(&pts[j], &pts[j-1])
		s.rho[j] = 1
		if obj.ReminderValue != 0 {
			s.rho[j] = math.Exp(-obj.ReminderValue * float64(n-1-j))
		}
	}
	var chosen []int
	value := 0.0
	for len(chosen) < k {
		s.refSurvival(chosen)
		v, j, pos := s.refBestInsert(chosen)
		if j < 0 || (v-value)*amount <= obj.AttemptCost {
			break
		}
		chosen = refInsertAt(chosen, pos, j)
		value = v
	}
	rest := make([]int, 0, len(chosen))
	for pass := 0; pass < 3 && len(chosen) > 1; pass++ {
		moved := false
		for i := 0; i < len(chosen); i++ {
			rest = append(append(rest[:0], chosen[:i]...), chosen[i+1:]...)
			s.refSurvival(rest)
			v, j, pos := s.refBestInsert(rest)
			if j >= 0 && j != chosen[i] && v > value+1e-9 {
				chosen = refInsertAt(append(chosen[:0], rest...), pos, j)
				value, moved = v, true
			}
		}
		if !moved {
			break
		}
	}
	return chosen
}

func refInsertAt(a []int, pos, v int) []int {
	a = append(a, 0)
	copy(a[pos+1:], a[pos:])
	a[pos] = v
	return a
}

// refSearch is the planner's state while choosing slots.
type refSearch struct {
	m       *Mixture
	post    []float64
	last    *point
	pts     []point
	sv      []refSurvivals // the hazards' complements of each point, by class
	from    int
	spacing int
	same    []bool
	rho     []float64 // the customer does not pay after a failure at j
	surv    []float64 // P(every chosen retry fails | class)
	remind  float64   // Π rho over the chosen slots
}

// survival sets surv and remind for the sorted slots chosen.
func (s *refSearch) refSurvival(chosen []int) {
	for q := range s.surv {
		s.surv[q] = 1
	}
	s.remind = 1
	a := s.last
	for _, j := range chosen {
		for q := range s.surv {
			s.surv[q] *= s.sv[j].refOf(q, a, &s.pts[j])
		}
		s.remind *= s.rho[j]
		a = &s.pts[j]
	}
}

// bestInsert returns the chance of recovery with the best slot added to
// chosen (whose survival is set), the slot and its place; j < 0 if none
// fits.
func (s *refSearch) refBestInsert(chosen []int) (value float64, j, pos int) {
	post, surv := s.post, s.surv
	K := len(post)
	bestV, bestJ, bestPos := -1.0, -1, 0
	pos = 0
	open := false // the slot before was a feasible candidate
	for j := s.from; j < len(s.pts); j++ {
		for pos < len(chosen) && chosen[pos] < j {
			pos++
		}
		if (pos > 0 && j-chosen[pos-1] < s.spacing) || (pos < len(chosen) && chosen[pos]-j < s.spacing) {
			open = false
			continue
		}
		if open && s.same[j] {
			continue
		}
		open = true
		a := s.last
		if pos > 0 {
			a = &s.pts[chosen[pos-1]]
		}
		cur, svj := &s.pts[j], &s.sv[j]
		var sum float64
		if pos < len(chosen) {
			b, svb := &s.pts[chosen[pos]], &s.sv[chosen[pos]]
			for q := 0; q < K; q++ {
				sum += post[q] * surv[q] * svj.refOf(q, a, cur) * svb.refOf(q, cur, b) / svb.refOf(q, a, b)
			}
		} else {
			for q := 0; q < K; q++ {
				sum += post[q] * surv[q] * svj.refOf(q, a, cur)
			}
		}
		if v := 1 - s.remind*s.rho[j]*sum; v > bestV {
			bestV, bestJ, bestPos = v, j, pos
		}
	}
	return bestV, bestJ, bestPos
}

// refSurvivals are the complements 1 − hazard of an attempt at one point for
// each class and each case of the attempt before it, looked up once so
// the refSearch multiplies without walking the cell layout.
type refSurvivals struct {
	newPay [numSched]float64    // funds: a deposit came since the previous attempt
	pre    [numCures]float64    // cure: before the hold lifts
	post   [numCures][2]float64 // cure: after it, fresh and sticky
	old    float64              // funds: no deposit since
	dead   float64
}

func (v *refSurvivals) refFill(m *Mixture, p *point) {
	for s := range v.newPay {
		v.newPay[s] = 1 - m.Hazard[p.fcell[s]]
	}
	for c := range v.pre {
		v.pre[c] = 1 - m.Hazard[cellCure+c*cureCells]
		v.post[c] = [2]float64{1 - m.Hazard[cureCell(c, int(p.band), false)], 1 - m.Hazard[cureCell(c, int(p.band), true)]}
	}
	v.old, v.dead = 1-m.Hazard[cellFundsOld], 1-m.Hazard[cellDead]
}

// of is 1 − the hazard of state k for an attempt at b (whose refSurvivals
// v are) after one at a: the same as 1 − Hazard[cell(k, a, b)].
func (v *refSurvivals) refOf(k int, a, b *point) float64 {
	switch {
	case k < numSched:
		if b.idx[k] > a.idx[k] {
			return v.newPay[k]
		}
		return v.old
	case k == stateDead:
		return v.dead
	}
	j := k - stateOnset
	c := onsetClass[j]
	if j >= int(b.on) {
		return v.pre[c]
	}
	if a.block == b.block && j < int(a.on) {
		return v.post[c][1]
	}
	return v.post[c][0]
}

func refPosterior(p *MixturePlanner, c *Case, dep *deposits) ([]float64, point) {
	first := c.first()
	if dep == nil {
		dep = payDeposits(c.Loc, first.At, c.last().At, p.M.DepositHour)
	}
	cat, _ := categoryOf(first.DeclineCode)
	post := p.M.statePrior(nil, p.M.prior(string(cat), string(c.Funding), c.Country))
	prev := dep.at(first.At, first.At)
	for _, a := range c.Attempts[1:] {
		cur := dep.at(a.At, first.At)
		for k := range post {
			post[k] *= 1 - p.M.Hazard[cell(k, &prev, &cur)]
		}
		prev = cur
	}
	if p.M.Activity != nil {
		end := c.last().At
		if c.Decision.After(end) {
			end = c.Decision
		}
		weighActivity(p.M, post, dep, first.At, end, c.Activity)
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

// refRecommend is MixturePlanner.recommend as it was before it shared the
// plan's grid and posterior: PlanRetry, then the window, the explanation
// and the candidates computed again.
func refRecommend(p *MixturePlanner, ctx context.Context, rc domain.RetryContext, candidates bool) (Recommendation, error) {
	if len(rc.Attempts) > 0 && p.Fallback != nil {
		c, err := CaseFromContext(&rc)
		if err != nil {
			return Recommendation{}, err
		}
		if !c.PMUpdatedAt.IsZero() && c.PMUpdatedAt.After(c.first().At) {
			rec, err := p.Fallback.RecommendSchedule(ctx, rc)
			if candidates {
				rec, err = p.Fallback.Recommend(ctx, rc)
			}
			if err == nil && rec.Plan.Retry {
				rec.Plan.Explanation += "; the card was updated since the first failure, so the logistic model planned this (the latent classes describe the old card)"
			}
			return rec, err
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
	if end.Before(start) {
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
	post, last := p.posterior(nil, &c, dep, p.fold(), newActSum())
	if rec.Plan.Retry {
		refExplainPlan(p, &rec.Plan, &c, dep, post, &last, start.Add(time.Duration(from)*time.Hour), rc.RetriesLeft)
	}
	if !candidates {
		return rec, nil
	}
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

// refExplainPlan is explainPlan as it was before it appended with strconv.
func refExplainPlan(p *MixturePlanner, plan *domain.RetryPlan, c *Case, dep *deposits, post []float64, last *point, earliest time.Time, left int) {
	first := c.first()
	cat, _ := categoryOf(first.DeclineCode)
	prior, level := p.M.priorLevel(string(cat), string(c.Funding), c.Country)
	out := make([]domain.Contribution, 0, topClasses+1+len(plan.Schedule))
	cls := make([]float64, NumClasses)
	for k, v := range post {
		cls[stateClass(k)] += v
	}
	order := make([]int, NumClasses)
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool { return cls[order[a]] > cls[order[b]] })
	for _, k := range order[:topClasses] {
		out = append(out, domain.Contribution{Feature: "class:" + ClassName(k), Value: cls[k], Effect: logit(cls[k]) - logit(prior[k])})
	}
	top := order[0]
	facts := fmt.Sprintf("decline category %s, funding %s, country %s", cat, orNone(string(c.Funding)), orNone(c.Country))
	out = append(out, domain.Contribution{Feature: "prior:" + ClassName(top) + " given " + facts + " (" + level + ")",
		Value: prior[top], Effect: logit(prior[top]) - logit(p.M.GlobalPrior[top])})

	var b strings.Builder
	plan.Contributions = nil
	b.WriteString(explain(plan, c.Loc, left))
	fmt.Fprintf(&b, "; class prior from %s (%s); most likely class %s (%.0f%%)", facts, level, ClassName(top), 100*cls[top])
	w := append([]float64(nil), post...)
	prev := *last
	spacing := time.Duration(math.Ceil(p.Objective.MinSpacing.Hours())) * time.Hour
	if spacing <= 0 {
		spacing = time.Hour
	}
	from := earliest
	for i, s := range plan.Schedule {
		pt := dep.at(s.At, first.At)
		var z, pr float64
		byClass := make([]float64, NumClasses)
		for k := range w {
			h := p.M.Hazard[cell(k, &prev, &pt)]
			z += w[k]
			pr += w[k] * h
			byClass[stateClass(k)] += w[k] * h
		}
		pr /= z
		lead := 0
		for k, v := range byClass {
			if v > byClass[lead] {
				lead = k
			}
		}
		var lifted, all float64
		for k := range w {
			if k >= stateOnset && stateClass(k) == lead {
				all += w[k]
				if k-stateOnset < int(pt.on) {
					lifted += w[k]
				}
			}
		}
		if all > 0 {
			lifted /= all
		}
		// The same chance at the earliest hour this retry could have had.
		var alt float64
		if !from.After(s.At) {
			ap := dep.at(from, first.At)
			for k := range w {
				alt += w[k] * p.M.Hazard[cell(k, &prev, &ap)]
			}
			alt /= z
		}
		why := refSlotWhy(p.M, lead, dep, &prev, &pt, c.Loc, lifted)
		label := "slot " + strconv.Itoa(i+1) + " " + s.At.In(c.Loc).Format("Mon 2 Jan 15:04") + " local"
		e := domain.Contribution{Feature: label + ": " + why, Value: pr}
		if alt > 0 {
			e.Effect = logit(pr) - logit(alt)
		}
		out = append(out, e)
		fmt.Fprintf(&b, "; %s: %s", label, why)
		for k := range w {
			w[k] *= 1 - p.M.Hazard[cell(k, &prev, &pt)]
		}
		prev = pt
		from = s.At.Add(spacing)
	}
	plan.Contributions = out
	plan.Explanation = b.String()
}

// slotWhy says in words what sets class k's chance of an attempt at b
// after one at a.
func refSlotWhy(m *Mixture, k int, dep *deposits, a, b *point, loc *time.Location, lifted float64) string {
	name := ClassName(k)
	switch {
	case k < numSched:
		if b.idx[k] <= a.idx[k] {
			return "class " + name + ", though no " + schedNames[k] + " pay deposit came since the previous attempt"
		}
		d := time.Unix(dep.pay[k][b.idx[k]-1], 0).In(loc)
		return fmt.Sprintf("%.0fh after the %s pay deposit of %s (class %s)", float64(b.unix-d.Unix())/3600, schedNames[k], d.Format("Mon 2 Jan 15:04"), name)
	case k == classDead:
		return "class " + name + " (a small constant chance)"
	}
	day := "a later day of the run than the previous attempt"
	if a.block == b.block {
		day = "the same day of the run (24 hours from the failure) as the previous attempt, which lowers the chance where the hold had lifted before that attempt"
	}
	return fmt.Sprintf("%.0fh after the failure, at %s local, %s, the hold lifted by then with chance %.0f%% (class %s)", b.h, time.Unix(b.unix, 0).In(loc).Format("15:04"), day, 100*lifted, name)
}
