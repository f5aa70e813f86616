package smartretry

import (
	"math"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// What a mixture recommendation explains (explainPlan), as contributions
// whose feature names say what they are:
//
//   - class:NAME — the invoice's posterior of a latent class (Value) and
//     how far its failed attempts moved it from the prior (Effect, in
//     log-odds); the few most likely classes.
//   - prior:NAME given FACTS — the prior of the most likely class that the
//     invoice's facts (first decline's category, funding, country) set
//     (Value), and how far those facts push it from the population's
//     prior (Effect, log-odds). The table level used is named: the facts
//     themselves, category and funding only, or the population.
//   - slot N AT: WHY — each planned retry's chance given the earlier ones
//     failed (Value), the class that carries most of it and the time facts
//     behind that class's chance there (a pay deposit some hours before,
//     or the chance that the hold has lifted by then and the local hour),
//     and the gain in
//     log-odds over retrying at the earliest allowed hour instead (Effect).
//
// The explanation text gains the same in words. It is computed for
// recommendations (API, CLI) only; the engine's plans keep PlanRetry's.
const topClasses = 3

// explainPlan explains plan, whose retries are the grid's slots (slots
// of pts, the earliest allowed being from): their points, and those of
// the earliest hours they are compared with, are the grid's, not
// described again.
//
// hz holds the planned slots' hazard vectors (hazardsAt), NumStates each
// in the schedule's order, then room for one more.
func (p *MixturePlanner) explainPlan(plan *domain.RetryPlan, c *Case, dep *deposits, post []float64, last *point, pts []point, slots []int, from, left int, b []byte, hz []float64) []byte {
	// Appends with strconv rather than fmt into the caller's buffer b,
	// returned for reuse: this runs for every recommendation served. The
	// slots' features are the explanation's own words, and the prior's
	// is written after them: one string holds them all, and each is a
	// piece of it (a piece of a string shares its bytes).
	first := c.first()
	cat, _ := categoryOf(first.DeclineCode)
	prior, level := p.M.priorLevel(string(cat), string(c.Funding), c.Country)
	out := make([]domain.Contribution, 0, topClasses+1+len(plan.Schedule))
	var cls [NumClasses]float64
	classPosterior(&cls, post)
	var ob [NumClasses]int
	order := ob[:0]
	for k := range cls {
		order = append(order, k)
		// Insertion keeps ties in class order, as a stable sort would.
		for i := k; i > 0 && cls[order[i]] > cls[order[i-1]]; i-- {
			order[i], order[i-1] = order[i-1], order[i]
		}
	}
	for _, k := range order[:topClasses] {
		out = append(out, domain.Contribution{Feature: classLabels[k], Value: cls[k], Effect: logit(cls[k]) - logit(prior[k])})
	}
	top := order[0]
	priorAt := len(out) // its feature is set at the end
	out = append(out, domain.Contribution{Value: prior[top], Effect: logit(prior[top]) - logit(p.M.GlobalPrior[top])})

	plan.Contributions = nil
	b = appendExplain(b, plan, c.Loc, left)
	b = append(b, "; class prior from "...)
	b = appendFacts(b, cat, c)
	b = append(b, " ("...)
	b = append(b, level...)
	b = append(b, "); most likely class "...)
	b = append(b, classNames[top]...)
	b = append(b, " ("...)
	b = strconv.AppendFloat(b, 100*cls[top], 'f', 0, 64)
	b = append(b, "%)"...)
	var wb [NumStates]float64
	w := append(wb[:0], post...)
	prev := *last
	spacing := max(int(math.Ceil(p.Objective.MinSpacing.Hours())), 1)
	feats := make([][2]int, 0, 8) // each slot's feature in b
	hzAlt := hz[len(plan.Schedule)*NumStates:][:NumStates]
	for i, s := range plan.Schedule {
		pt := &pts[slots[i]]
		h := hz[i*NumStates:][:NumStates]
		// By class the weights and chances (byClass) and the weights
		// whose hold has lifted by the slot (cure classes): one pass over
		// the states, each sum in their order.
		var z, pr float64
		var byClass, lift, all [NumClasses]float64
		for k, x := range h[:stateOnset] {
			z += w[k]
			pr += w[k] * x
			byClass[stateClasses[k]] += w[k] * x
		}
		// A cure class's onsets are a run of states: its sums in locals.
		on := stateOnset + int(pt.on)
		for c := range numCures {
			var bc, al, li float64
			for k := stateOnset + onsetLo[c]; k < stateOnset+onsetHi[c]; k++ {
				t := w[k] * h[k]
				z += w[k]
				pr += t
				bc += t
				al += w[k]
				if k < on {
					li += w[k]
				}
			}
			byClass[classCureFast+c], all[classCureFast+c], lift[classCureFast+c] = bc, al, li
		}
		pr /= z
		// The same chance at the earliest hour this retry could have had.
		var pa float64
		if from <= slots[i] {
			p.M.hazardsAt(hzAlt, &prev, &pts[from])
			for k, x := range hzAlt {
				pa += w[k] * x
			}
			pa /= z
		}
		lead := 0
		for k, v := range byClass {
			if v > byClass[lead] {
				lead = k
			}
		}
		// The share of the lead class's weight whose hold has lifted by
		// the slot (cure classes).
		lifted := lift[lead]
		if all[lead] > 0 {
			lifted /= all[lead]
		}
		b = append(b, "; "...)
		at := len(b)
		b = append(b, "slot "...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, ' ')
		b = s.At.In(c.Loc).AppendFormat(b, localLayout)
		b = append(b, " local: "...)
		b = p.M.appendSlotWhy(b, lead, dep, &prev, pt, c.Loc, lifted)
		feats = append(feats, [2]int{at, len(b)})
		e := domain.Contribution{Value: pr}
		if pa > 0 {
			e.Effect = logit(pr) - logit(pa)
		}
		out = append(out, e)
		for k, x := range h {
			w[k] *= 1 - x
		}
		prev = *pt
		from = slots[i] + spacing
	}
	end := len(b)
	b = append(b, "prior:"...)
	b = append(b, classNames[top]...)
	b = append(b, " given "...)
	b = appendFacts(b, cat, c)
	b = append(b, " ("...)
	b = append(b, level...)
	b = append(b, ')')
	text := string(b)
	plan.Explanation = text[:end]
	out[priorAt].Feature = text[end:]
	for i, f := range feats {
		out[priorAt+1+i].Feature = text[f[0]:f[1]]
	}
	plan.Contributions = out
	return b
}

// appendFacts appends the facts behind an invoice's class prior.
func appendFacts(b []byte, cat domain.DeclineCategory, c *Case) []byte {
	b = append(b, "decline category "...)
	b = append(b, cat...)
	b = append(b, ", funding "...)
	b = append(b, orNone(string(c.Funding))...)
	b = append(b, ", country "...)
	return append(b, orNone(c.Country)...)
}

// classNames and classLabels are ClassName and the explanation's
// "class:" features, named once rather than per recommendation.
var classNames, classLabels = func() (n, l [NumClasses]string) {
	for k := range n {
		n[k] = ClassName(k)
		l[k] = "class:" + n[k]
	}
	return n, l
}()

// priorLevel is prior with the level of the table that answered. The
// keys (PriorKey, fallbackKey) are built in a buffer on the stack: a map
// index by string(bytes) does not allocate.
func (m *Mixture) priorLevel(category, funding, country string) ([]float64, string) {
	var kb [64]byte
	k := append(append(append(kb[:0], category...), '|'), funding...)
	fb := len(k)
	k = append(append(k, '|'), country...)
	if p, ok := m.Prior[string(k)]; ok {
		return p, "learnt for these facts"
	}
	if p, ok := m.FallbackPrior[string(k[:fb])]; ok {
		return p, "learnt for the category and funding; the country was not seen"
	}
	return m.GlobalPrior, "the population's; these facts were not seen"
}

// appendSlotWhy appends in words what sets class k's chance of an
// attempt at b after one at a; lifted is, for a cure class, the chance
// that its hold has lifted by b.
func (m *Mixture) appendSlotWhy(s []byte, k int, dep *deposits, a, b *point, loc *time.Location, lifted float64) []byte {
	name := classNames[k]
	switch {
	case k < numSched:
		if b.idx[k] <= a.idx[k] {
			s = append(s, "class "...)
			s = append(s, name...)
			s = append(s, ", though no "...)
			s = append(s, schedNames[k]...)
			return append(s, " pay deposit came since the previous attempt"...)
		}
		d := time.Unix(dep.pay[k][b.idx[k]-1], 0).In(loc)
		s = strconv.AppendFloat(s, float64(b.unix-d.Unix())/3600, 'f', 0, 64)
		s = append(s, "h after the "...)
		s = append(s, schedNames[k]...)
		s = append(s, " pay deposit of "...)
		s = d.AppendFormat(s, localLayout)
		s = append(s, " (class "...)
		s = append(s, name...)
		return append(s, ')')
	case k == classDead:
		s = append(s, "class "...)
		s = append(s, name...)
		return append(s, " (a small constant chance)"...)
	}
	day := "a later day of the run than the previous attempt"
	if a.block == b.block {
		day = "the same day of the run (24 hours from the failure) as the previous attempt, which lowers the chance where the hold had lifted before that attempt"
	}
	s = strconv.AppendFloat(s, b.h, 'f', 0, 64)
	s = append(s, "h after the failure, at "...)
	s = time.Unix(b.unix, 0).In(loc).AppendFormat(s, "15:04")
	s = append(s, " local, "...)
	s = append(s, day...)
	s = append(s, ", the hold lifted by then with chance "...)
	s = strconv.AppendFloat(s, 100*lifted, 'f', 0, 64)
	s = append(s, "% (class "...)
	s = append(s, name...)
	return append(s, ')')
}

func logit(p float64) float64 {
	p = min(max(p, 1e-9), 1-1e-9)
	return math.Log(p / (1 - p))
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
