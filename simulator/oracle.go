package simulator

import (
	"math"
	"sort"

	"github.com/recoupledger/recoup/domain"
)

// Oracle is the Bayes oracle: it knows the world's parameters but not an
// invoice's hidden draws. At each decision it computes the posterior over
// the invoice's latent state (cause, cure time, pay schedule, card update)
// from everything observable — decline and advice codes, failed attempts,
// card activity, card updates — and chooses the remaining retry times that
// minimize the exact probability of not recovering within the window,
// including the customer's own card update, whose rate each reminder
// raises. It retries at the first chosen time and plans again after every
// failure or card update.
//
// The optimization over the hourly grid is greedy with one round of
// single-slot exchanges, and is never worse (under the exact objective)
// than the remaining part of its previous plan or the evenly spaced
// schedule, so the oracle's expected recovery is at least that of the
// evenly spaced schedule.
type Oracle struct {
	M *Model
}

func (o *Oracle) Name() string { return "oracle" }

type oracleMemo struct {
	updatedAt float64
	gen       []component
	fams      []family
	hist      []int // slots of past attempts
	tried     []int // hist plus the planned slots (scratch)
	prev      []int
	gain      []float64
	chosen    []int
}

// Plan implements Policy.
func (or *Oracle) Plan(o *Observation) (int, bool) {
	first, ok := o.Earliest(o.NextSlot())
	H := o.Window()
	if !ok || first > H {
		return 0, false
	}
	memo, _ := o.Memo.(*oracleMemo)
	if memo == nil || memo.updatedAt != o.UpdatedAt {
		memo = or.build(o)
		o.Memo = memo
	}
	memo.hist = memo.hist[:0]
	for _, a := range o.Attempts {
		memo.hist = append(memo.hist, int(a.Slot))
	}
	if !or.posterior(o, memo) {
		return 0, false
	}
	// Declines on the same card repeat its advice code, and with it the
	// wait between attempts.
	wait := 1
	if o.UpdatedAt < 0 {
		wait = max(wait, adviceWaitHours(o.Inv.Network, o.Inv.AdviceCode))
	}
	n := min(o.RetriesLeft, 1+(H-first)/wait)
	best := or.optimize(o, memo, first, H, wait, n)
	bestV := or.value(o, memo, best)
	for _, s := range [][]int{feasible(memo.prev, first, H, wait), evenly(first, H, wait, n)} {
		if len(s) == 0 {
			continue
		}
		if v := or.value(o, memo, s); v < bestV-1e-12 {
			bestV, best = v, s
		}
	}
	if len(best) == 0 {
		return 0, false
	}
	memo.prev = append(memo.prev[:0], best[1:]...)
	return best[0], true
}

// build enumerates the latent states compatible with the invoice's
// observable facts, with their prior weights.
func (or *Oracle) build(o *Observation) *oracleMemo {
	m, inv := or.M, o.Inv
	H := o.Window()
	memo := &oracleMemo{updatedAt: o.UpdatedAt}
	ri := indexOf(Reasons, inv.Reason)
	var pc [numCauses]float64
	for c := range numCauses {
		pc[c] = m.causeGivR[ri][c]
		if inv.Network == domain.Mastercard {
			pc[c] *= m.adviceProb(Cause(c), inv.AdviceCode)
		}
	}
	w := m.W
	if pc[CauseFunds] > 0 {
		cm := &m.countries[inv.country]
		for _, v := range cm.variants {
			l := latent{cause: CauseFunds, alive: true, updatedAt: o.UpdatedAt,
				deposits: depositSlots(v.schedule, v.phase, inv.FailedAt, inv.loc, w.Causes.Funds.DepositHour, ReplayHorizon)}
			memo.gen = append(memo.gen, or.component(inv, pc[CauseFunds]*w.Causes.Funds.Alive*v.share, l, H))
		}
	}
	for _, c := range []Cause{CauseHold, CauseTechnical} {
		if pc[c] > 0 {
			memo.fams = append(memo.fams, or.family(inv, c, pc[c], H))
		}
	}
	for _, c := range []Cause{CauseHard, CauseCardData} {
		if pc[c] > 0 {
			l := latent{cause: c, alive: true, updatedAt: o.UpdatedAt}
			memo.gen = append(memo.gen, or.component(inv, pc[c]*m.update(c).Alive, l, H))
		}
	}
	return memo
}

func (m *Model) adviceProb(c Cause, code string) float64 {
	for i, a := range m.advice[c] {
		if a == code {
			return m.adviceP[c][i]
		}
	}
	return 0
}

// posterior sets every latent state's weight given the observable
// history; false if none is consistent with it.
func (or *Oracle) posterior(o *Observation, memo *oracleMemo) bool {
	acts := o.Activity()
	maxLW := math.Inf(-1)
	for i := range memo.gen {
		k := &memo.gen[i]
		k.w = or.genLogLik(o, k, memo.hist, acts)
		maxLW = math.Max(maxLW, k.w)
	}
	for i := range memo.fams {
		fm := &memo.fams[i]
		if o.UpdatedAt >= 0 {
			// The updater only refreshes replaced cards.
			for j := range fm.w {
				fm.w[j] = math.Inf(-1)
			}
			continue
		}
		fm.logLik(o, memo.hist, acts)
		for _, x := range fm.w {
			maxLW = math.Max(maxLW, x)
		}
	}
	if math.IsInf(maxLW, -1) {
		return false
	}
	total := 0.0
	for i := range memo.gen {
		memo.gen[i].w = math.Exp(memo.gen[i].w - maxLW)
		total += memo.gen[i].w
	}
	for i := range memo.fams {
		for j, x := range memo.fams[i].w {
			memo.fams[i].w[j] = math.Exp(x - maxLW)
			total += memo.fams[i].w[j]
		}
	}
	for i := range memo.gen {
		memo.gen[i].w /= total
	}
	for i := range memo.fams {
		for j := range memo.fams[i].w {
			memo.fams[i].w[j] /= total
		}
	}
	return true
}

// setPlan makes the planned slots (after the history) the current plan of
// every latent state.
func (or *Oracle) setPlan(memo *oracleMemo, plan []int) {
	memo.tried = append(append(memo.tried[:0], memo.hist...), plan...)
	for i := range memo.gen {
		memo.gen[i].setPlan(memo.hist, plan)
	}
	for i := range memo.fams {
		memo.fams[i].setPlan(memo.hist, memo.tried)
	}
}

// reminderFactor is how much a failed attempt at slot s lowers the
// chance that the customer has not updated their card by the window end.
func (or *Oracle) reminderFactor(o *Observation, s int) float64 {
	cu := or.M.W.CustomerUpdate
	return math.Exp(-cu.PerDay / 24 * cu.ReminderBoost * float64(o.Window()-s))
}

// value is the probability (up to a constant factor) that the invoice is
// not recovered within the window if the slots are tried.
func (or *Oracle) value(o *Observation, memo *oracleMemo, slots []int) float64 {
	or.setPlan(memo, slots)
	rf := 1.0
	for _, s := range slots {
		rf *= or.reminderFactor(o, s)
	}
	return or.mass(memo) * rf
}

// mass is Σ weight × P(every tried attempt fails | state).
func (or *Oracle) mass(memo *oracleMemo) float64 {
	a := 0.0
	for i := range memo.gen {
		a += memo.gen[i].w * memo.gen[i].f
	}
	for i := range memo.fams {
		for j, w := range memo.fams[i].w {
			a += w * memo.fams[i].f[j]
		}
	}
	return a
}

// optimize chooses n slots in [first, H], at least wait apart.
func (or *Oracle) optimize(o *Observation, memo *oracleMemo, first, H, wait, n int) []int {
	chosen := memo.chosen[:0]
	for len(chosen) < n {
		or.setPlan(memo, chosen)
		s, ok := or.bestSlot(o, memo, chosen, first, H, wait)
		if !ok {
			break
		}
		chosen = append(chosen, s)
	}
	// One round of exchanges: move each slot to its best place given the
	// others.
	if len(chosen) > 1 {
		others := make([]int, 0, len(chosen))
		for i := range chosen {
			others = append(append(others[:0], chosen[:i]...), chosen[i+1:]...)
			or.setPlan(memo, others)
			if s, ok := or.bestSlot(o, memo, others, first, H, wait); ok {
				chosen[i] = s
			}
		}
	}
	memo.chosen = chosen
	out := append([]int(nil), chosen...)
	sort.Ints(out)
	return out
}

// bestSlot is the slot whose addition to the current plan most lowers
// the objective.
func (or *Oracle) bestSlot(o *Observation, memo *oracleMemo, chosen []int, first, H, wait int) (int, bool) {
	if cap(memo.gain) < H+1 {
		memo.gain = make([]float64, H+1)
	}
	gain := memo.gain[:H+1]
	clear(gain[first:])
	for i := range memo.gen {
		memo.gen[i].addGain(gain, first, H)
	}
	for i := range memo.fams {
		memo.fams[i].addGain(gain, memo.tried, first, H)
	}
	a := or.mass(memo)
	cu := or.M.W.CustomerUpdate
	step := math.Exp(cu.PerDay / 24 * cu.ReminderBoost) // reminderFactor(s+1)/reminderFactor(s)
	rf := or.reminderFactor(o, first)
	best, bestV := -1, math.Inf(1)
	for s := first; s <= H; s, rf = s+1, rf*step {
		if tooClose(s, chosen, wait) {
			continue
		}
		if v := (a - gain[s]) * rf; v < bestV-1e-15 {
			best, bestV = s, v
		}
	}
	return best, best >= 0
}

func tooClose(s int, chosen []int, wait int) bool {
	for _, c := range chosen {
		if d := s - c; d < wait && d > -wait {
			return true
		}
	}
	return false
}

// feasible keeps a previous plan's slots that are still allowed.
func feasible(prev []int, first, H, wait int) []int {
	var out []int
	for _, s := range prev {
		if s >= first && s <= H && (len(out) == 0 || s-out[len(out)-1] >= wait) {
			out = append(out, s)
		}
	}
	return out
}

// evenly spreads n slots over [first, H], at least wait apart.
func evenly(first, H, wait, n int) []int {
	var out []int
	if n <= 0 {
		return out
	}
	step := float64(H-first+1) / float64(n)
	for i := 1; i <= n; i++ {
		s := max(first-1+int(math.Round(step*float64(i))), first)
		if len(out) > 0 && s-out[len(out)-1] < wait {
			s = out[len(out)-1] + wait
		}
		if s > H {
			break
		}
		out = append(out, s)
	}
	return out
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}
