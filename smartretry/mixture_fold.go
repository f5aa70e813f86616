package smartretry

import (
	"time"
)

// mixFold is what planning with a mixture derives from the model alone:
// the complements of its hazards in the layouts the search reads, and the
// logarithms of its activity rates. Folding them once per model
// (MixturePlanner.fold) leaves a request table reads. Nothing here
// depends on a request.
type mixFold struct {
	m *Mixture
	// err is checkMixture's answer for m: a model built in code whose
	// tables do not fit the layout (a file's were checked when read) is
	// refused by every plan rather than read out of bounds.
	err error
	ok  bool // every hazard is a number in [0, 1]: the search's bounds hold
	// surv[c] is 1 − Hazard[c] for the funds cells (c < cellCure): a
	// funds class's survival of an attempt after a deposit is
	// surv[fcell of its schedule]; old and dead are the survivals of a
	// funds class with no deposit since the previous attempt and of the
	// dead class.
	surv      []float64
	old, dead float64
	// pre[c] is cure class c's survival of an attempt before its hold
	// lifts; post[band][c] its survivals after the lift in a local hour,
	// fresh and sticky (cureCell); lo[band][c] the lesser of the two;
	// fresh[band][c] the fresh one, in a row of its own (restBy).
	pre   [numCures]float64
	post  [][numCures][2]float64
	lo    [][numCures]float64
	fresh [][numCures]float64
	// loRun[band][n-1] is the least of lo over the n local hours from
	// band on (wrapping at midnight), n up to chunkSlots: a chunk's
	// slots are consecutive hours but at a change of the clocks.
	loRun [][chunkSlots][numCures]float64
	// rpost are post's reciprocals (a segment divides by them).
	rpost [][numCures][2]float64
	// act is m.Activity as the fold was built and logAct[i] is
	// log act[i] (nil without activity): the planner's fold is keyed by
	// the *Mixture alone, so weighActivity reads this pair, never the
	// live m.Activity, and a replaced Activity cannot pair new rates
	// with old logarithms.
	act, logAct []float64
}

func newMixFold(m *Mixture) *mixFold {
	f := &mixFold{m: m, ok: len(m.Hazard) == numCells, err: checkMixture(m)}
	for _, h := range m.Hazard {
		f.ok = f.ok && h >= 0 && h <= 1
	}
	if len(m.Hazard) != numCells {
		return f
	}
	f.surv = make([]float64, cellCure)
	for c := range f.surv {
		f.surv[c] = 1 - m.Hazard[c]
	}
	f.old, f.dead = 1-m.Hazard[cellFundsOld], 1-m.Hazard[cellDead]
	f.post = make([][numCures][2]float64, numBands)
	f.lo = make([][numCures]float64, numBands)
	f.fresh = make([][numCures]float64, numBands)
	f.rpost = make([][numCures][2]float64, numBands)
	for c := 0; c < numCures; c++ {
		f.pre[c] = 1 - m.Hazard[cellCure+c*cureCells]
		for band := 0; band < numBands; band++ {
			a, b := 1-m.Hazard[cureCell(c, band, false)], 1-m.Hazard[cureCell(c, band, true)]
			f.post[band][c] = [2]float64{a, b}
			f.lo[band][c] = min(a, b)
			f.fresh[band][c] = a
			f.rpost[band][c] = [2]float64{1 / a, 1 / b}
		}
	}
	f.loRun = make([][chunkSlots][numCures]float64, numBands)
	for band := range f.loRun {
		run := &f.loRun[band]
		run[0] = f.lo[band]
		for n := 1; n < chunkSlots; n++ {
			x := &f.lo[(band+n)%numBands]
			for c := range run[n] {
				run[n][c] = min(run[n-1][c], x[c])
			}
		}
	}
	f.act, f.logAct = m.Activity, m.activityLogs()
	return f
}

// of is 1 − the hazard of state s for an attempt at b after one at a:
// the same number as 1 − Hazard[cell(s, a, b)].
func (f *mixFold) of(s int, a, b *point) float64 {
	switch {
	case s < numSched:
		if b.idx[s] > a.idx[s] {
			return f.surv[b.fcell[s]]
		}
		return f.old
	case s == stateDead:
		return f.dead
	}
	j := s - stateOnset
	c := onsetClass[j]
	if j >= int(b.on) {
		return f.pre[c]
	}
	return f.post[b.band][c][b2i(a.block == b.block && j < int(a.on))]
}

// fundsOf writes into x f.of's numbers for the funds and dead states
// (s < stateOnset) of an attempt at b after one at a.
func (f *mixFold) fundsOf(x *[stateOnset]float64, a, b *point) {
	for s := range numSched {
		v := f.old
		if b.idx[s] > a.idx[s] {
			v = f.surv[b.fcell[s]]
		}
		x[s] = v
	}
	x[stateDead] = f.dead
}

// mulOnsets multiplies v[stateOnset+j] by onset j's survival of an
// attempt at b after one at a (f.of's numbers), onset by onset: the
// onsets lifted by a (sticky when a and b share a day), those lifted
// between a and b, and those not lifted by b, each a run of every cure
// class's onsets.
func (f *mixFold) mulOnsets(v []float64, a, b *point) {
	aOn, bOn := int(a.on), int(b.on)
	sticky := b2i(a.block == b.block)
	o := v[stateOnset : stateOnset+numOnset+1]
	for c := 0; c < numCures; c++ {
		lo, hi := onsetLo[c], onsetHi[c]
		pre, post := f.pre[c], f.post[b.band][c]
		m1, m2 := clampOn(min(aOn, bOn), c), clampOn(bOn, c)
		x := post[sticky]
		for j := lo; j < m1; j++ {
			o[j] *= x
		}
		x = post[0]
		for j := m1; j < m2; j++ {
			o[j] *= x
		}
		for j := m2; j < hi; j++ {
			o[j] *= pre
		}
	}
}

// weighActivity is the package's weighActivity (mixture_activity.go) for
// f's model, both weighActivityBy with the model's logarithms of its
// rates, so the same weights. It reads the fold's own snapshot of the
// rates and their logarithms (act, logAct), taken together. a is the
// caller's summary scratch (newActSum).
func (f *mixFold) weighActivity(w []float64, dep *deposits, first, end time.Time, acts []time.Time, a actSum) {
	weighActivityBy(f.act, f.logAct, w, dep, first, end, acts, a)
}
