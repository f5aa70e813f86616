package smartretry

import (
	"math"
	"math/bits"
	"time"
)

// mixFold is what planning with a mixture derives from the model alone:
// the complements of its hazards in the layouts the search reads, and the
// logarithms of its activity rates. A request used to look up every
// slot's complements into a per-slot record (34 of them per slot, some
// 45 kB written for a week's grid) and to take the logarithms again;
// folding them once per model (MixturePlanner.fold) leaves a request
// table reads. Nothing here depends on a request.
type mixFold struct {
	m  *Mixture
	ok bool // every hazard is a number in [0, 1]: the search's bounds hold
	// surv[c] is 1 − Hazard[c] for the funds cells (c < cellCure): a
	// funds class's survival of an attempt after a deposit is
	// surv[fcell of its schedule]; old and dead are the survivals of a
	// funds class with no deposit since the previous attempt and of the
	// dead class.
	surv      []float64
	old, dead float64
	// cure holds the cure classes' survivals by row ccell+g (a point's
	// cure cell offset plus the gap case from the previous attempt),
	// numCures to a row, so that a point's survivals are the numGap rows
	// from ccell: cure[(ccell+g)·numCures + c] = 1 − Hazard of cure class
	// c there.
	cure []float64
	// cureWin[k] holds, for each row r (cb·numBands + band: a bucket
	// since the failure and a local hour), the least of the cure rows of
	// the 2^k consecutive local hours from r within the bucket (the band
	// wrapping at midnight), entry by entry, k = 0 … 3 (cureWin[0] is
	// cure): the minima of any run of up to chunkSlots hours are those of
	// two windows (chunkMins), read instead of taken over the slots.
	cureWin [4][]float64
	// logAct[i] is log Activity[i] (nil without activity).
	logAct []float64
}

func newMixFold(m *Mixture) *mixFold {
	f := &mixFold{m: m, ok: len(m.Hazard) == numCells}
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
	rows := numGap * numCure * numBands
	f.cure = make([]float64, rows*numCures)
	for r := 0; r < rows; r++ {
		for c := 0; c < numCures; c++ {
			f.cure[r*numCures+c] = 1 - m.Hazard[cellCure+c*rows+r]
		}
	}
	const row = numGap * numCures
	f.cureWin[0] = f.cure
	for k := 1; k < len(f.cureWin); k++ {
		half, w := 1<<(k-1), make([]float64, len(f.cure))
		for cb := 0; cb < numCure; cb++ {
			for band := 0; band < numBands; band++ {
				a := f.cureWin[k-1][(cb*numBands+band)*row:][:row]
				b := f.cureWin[k-1][(cb*numBands+(band+half)%numBands)*row:][:row]
				out := w[(cb*numBands+band)*row:][:row]
				for i := range out {
					out[i] = min(a[i], b[i])
				}
			}
		}
		f.cureWin[k] = w
	}
	if m.Activity != nil {
		f.logAct = make([]float64, len(m.Activity))
		for i, l := range m.Activity {
			f.logAct[i] = math.Log(l)
		}
	}
	return f
}

// cureRun sets out to the least of the cure rows of a run of hours
// consecutive local hours (1 to 2^3) from row r within r's bucket, entry
// by entry, or lowers out to it (lower): two windows of cureWin.
func (f *mixFold) cureRun(out *[numGap * numCures]float64, r, hours int, lower bool) {
	const row = numGap * numCures
	k := bits.Len(uint(hours)) - 1
	band := r % numBands
	r2 := r - band + (band+hours-1<<k)%numBands // the second window's first hour
	a := (*[row]float64)(f.cureWin[k][r*row:])
	b := (*[row]float64)(f.cureWin[k][r2*row:])
	if !lower {
		for i := range out {
			out[i] = min(a[i], b[i])
		}
		return
	}
	for i := range out {
		out[i] = min(out[i], a[i], b[i])
	}
}

// cureAt is the cure classes' survivals of an attempt at p: numGap rows
// (the gap case from the previous attempt, gapOf) of numCures.
func (f *mixFold) cureAt(p *point) *[numGap * numCures]float64 {
	return (*[numGap * numCures]float64)(f.cure[int(p.ccell)*numCures:])
}

// of is 1 − the hazard of class k for an attempt at b after one at a:
// the same number as 1 − Hazard[cell(k, a, b)].
func (f *mixFold) of(k int, a, b *point) float64 {
	switch {
	case k < numSched:
		if b.idx[k] > a.idx[k] {
			return f.surv[b.fcell[k]]
		}
		return f.old
	case k == classDead:
		return f.dead
	}
	return f.cure[(int(b.ccell)+gapOf(a, b))*numCures+k-classCureFast]
}

// weighActivity is the package's weighActivity (mixture_activity.go) for
// f's model with the logarithms of its rates folded: the same operations
// in the same order on the same numbers, so the same weights. a is the
// caller's summary scratch (newActSum).
func (f *mixFold) weighActivity(w []float64, dep *deposits, first, end time.Time, acts []time.Time, a actSum) {
	dep.summarise(a, first, end, acts)
	lam, lg := f.m.Activity, f.logAct
	var ll [NumClasses]float64
	for k := 0; k < numSched; k++ {
		var s float64
		n, e := a.n[sumFunds+k*numAge:], a.e[sumFunds+k*numAge:]
		for b := 0; b < numAge; b++ {
			s += float64(n[b])*lg[actFunds+b] - float64(e[b])*lam[actFunds+b]
		}
		ll[k] = s
	}
	ll[classDead] = float64(a.n[sumDead])*lg[actDead] - float64(a.e[sumDead])*lam[actDead]
	const J = numOnset + 1
	var scratch [3 * J]float64
	ol, nb, eb := scratch[:J], scratch[J:2*J], scratch[2*J:3*J]
	onsetLogLik(lam[actQuiet], lam[actLive], a, ol, nb, eb)
	pi := f.m.CureOnset
	for c := 0; c < numCures; c++ {
		ll[classCureFast+c] = logSumExpW(ol, pi[c*J:(c+1)*J])
	}
	top := math.Inf(-1)
	for k := range w {
		top = max(top, ll[k])
	}
	for k := range w {
		w[k] *= math.Exp(ll[k] - top)
	}
}
