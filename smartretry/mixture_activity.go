package smartretry

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Card activity under the mixture. Devices presenting a card elsewhere
// tell how alive its account is: a customer short of funds keeps using
// the card, more so just after pay lands; an issuer's hold quiets it
// until the hold lifts; a closed card stays quiet. Each class therefore
// has a Poisson process of activity:
//
//   - funds, schedule s: a rate by hours since s's latest pay deposit
//     (the hazards' age buckets, shared by the schedules, so a burst after
//     one schedule's pay day and not another's tells them apart);
//   - cure c: a quiet rate until the hold lifts at an onset time, a live
//     rate after; the onset is hidden, with a distribution of its own for
//     each cure class on a grid of onsetStep hours from the first failure.
//     A change point, not a rate by time since the failure: a card quiet
//     for nine days is then still likely a hold about to lift, where a
//     rate averaged over lifted and unlifted holds would call it dead;
//   - dead: one rate.
//
// The activity observed between the first failure and a decision enters
// the state posterior (a cure class's state being its onset) as its
// likelihood, next to the failed retries.
// Rates and onset distributions are fitted by EM with the hazards
// (Mixture.Activity, Mixture.CureOnset); a mixture without them ignores
// activity.

// Rates of Mixture.Activity, per hour.
var (
	actFunds = 0                 // [numAge] funds by age since the deposit
	actQuiet = actFunds + numAge // cure classes before the onset
	actLive  = actQuiet + 1      // cure classes after it
	actDead  = actLive + 1
	numAct   = actDead + 1
)

// The cure onset grid: onset j at j·onsetStep hours after the first
// failure for j < numOnset-1; the last bin is open-ended. Mixture.CureOnset
// holds, per cure class, numOnset+1 probabilities: the grid, then never.
const (
	onsetStep = 6
	numOnset  = 14*24/onsetStep + 1
)

// Layout of an activity summary (actSum): events and exposure hours by
// view, where a view is one schedule's age buckets, the onset bins or the
// dead class's single cell.
var (
	sumFunds = 0                          // [numSched][numAge]
	sumCure  = sumFunds + numSched*numAge // [numOnset]
	sumDead  = sumCure + numOnset
	sumLen   = sumDead + 1
)

// actSum is the activity of one span: events n and exposure e (hours) per
// summary cell.
type actSum struct{ n, e []float32 }

func newActSum() actSum { return actSum{n: make([]float32, sumLen), e: make([]float32, sumLen)} }

func (a actSum) reset() {
	clear(a.n)
	clear(a.e)
}

// onsetEdges are the upper bounds (hours) of the onset bins.
var onsetEdges = func() []float64 {
	e := make([]float64, numOnset-1)
	for j := range e {
		e[j] = float64((j + 1) * onsetStep)
	}
	return e
}()

// summarise fills a with the activity of (first, end]: acts sorted, only
// those in the span counted.
func (d *deposits) summarise(a actSum, first, end time.Time, acts []time.Time) {
	a.reset()
	f, t := first.Unix(), end.Unix()
	if t <= f {
		return
	}
	span := float64(t-f) / 3600
	// Exposure: funds by age since each schedule's deposits.
	for s := range d.pay {
		list := d.pay[s]
		i := sort.Search(len(list), func(k int) bool { return list[k] > f }) - 1
		for lo := f; lo < t; i++ {
			hi := t
			if i+1 < len(list) && list[i+1] < hi {
				hi = list[i+1]
			}
			if i >= 0 {
				spread(a.e[sumFunds+s*numAge:sumFunds+(s+1)*numAge], ageEdges, float64(lo-list[i])/3600, float64(hi-list[i])/3600)
			}
			lo = hi
		}
	}
	spread(a.e[sumCure:sumCure+numOnset], onsetEdges, 0, span)
	a.e[sumDead] = float32(span)
	lo := sort.Search(len(acts), func(k int) bool { return acts[k].Unix() > f })
	for _, at := range acts[lo:] {
		u := at.Unix()
		if u > t {
			break
		}
		for s := range d.pay {
			list := d.pay[s]
			i := sort.Search(len(list), func(k int) bool { return list[k] > u }) - 1
			if i >= 0 {
				a.n[sumFunds+s*numAge+bucket(ageEdges, float64(u-list[i])/3600)]++
			}
		}
		a.n[sumCure+bucket(onsetEdges, float64(u-f)/3600)]++
		a.n[sumDead]++
	}
}

// spread adds the hours of [lo, hi) to the buckets of edges they fall in.
func spread(e []float32, edges []float64, lo, hi float64) {
	for b := bucket(edges, lo); lo < hi; b++ {
		top := hi
		if b < len(edges) && edges[b] < top {
			top = edges[b]
		}
		e[b] += float32(top - lo)
		lo = top
	}
}

// onsetLogLik fills ll[j] with the log-likelihood of the summarised
// activity for a hold lifting at onset j (j = numOnset: never), with quiet
// and live rates q and l, and returns the events and exposure before each
// onset in nb and eb (nb[j], eb[j]: bins < j) for the M step.
func onsetLogLik(q, l float64, a actSum, ll, nb, eb []float64) {
	lq, lv := math.Log(q), math.Log(l)
	var n, e float64
	for b := 0; b < numOnset; b++ {
		n += float64(a.n[sumCure+b])
		e += float64(a.e[sumCure+b])
	}
	var cn, ce float64
	for j := 0; j <= numOnset; j++ {
		nb[j], eb[j] = cn, ce
		ll[j] = cn*lq - ce*q + (n-cn)*lv - (e-ce)*l
		if j < numOnset {
			cn += float64(a.n[sumCure+j])
			ce += float64(a.e[sumCure+j])
		}
	}
}

// activityLogLik fills out[s] with the log-likelihood of the summarised
// activity under each state s, for rates lam and their logarithms lg;
// scratch holds 3(numOnset+1) values and is left with onsetLogLik's.
func activityLogLik(lam, lg []float64, a actSum, out, scratch []float64) {
	for k := 0; k < numSched; k++ {
		var ll float64
		n, e := a.n[sumFunds+k*numAge:], a.e[sumFunds+k*numAge:]
		for b := 0; b < numAge; b++ {
			ll += float64(n[b])*lg[actFunds+b] - float64(e[b])*lam[actFunds+b]
		}
		out[k] = ll
	}
	out[stateDead] = float64(a.n[sumDead])*lg[actDead] - float64(a.e[sumDead])*lam[actDead]
	J := numOnset + 1
	ll, nb, eb := scratch[:J], scratch[J:2*J], scratch[2*J:3*J]
	onsetLogLik(lam[actQuiet], lam[actLive], a, ll, nb, eb)
	copy(out[stateOnset:stateOnset+J], ll)
}

// initialActivity starts the rates from the pooled rate r: busier for the
// funds classes and lifted holds, quieter for holds not yet lifted and
// dead cards, so EM can tell them apart.
func initialActivity(r float64) []float64 {
	lam := make([]float64, numAct)
	for b := 0; b < numAge; b++ {
		lam[actFunds+b] = 1.5 * r
	}
	lam[actQuiet], lam[actLive], lam[actDead] = 0.3*r, 1.5*r, 0.2*r
	return lam
}

// initialOnset starts each cure class's onsets uniform over its window
// (cureLift), the last one with the open-ended last bin. EM keeps each
// class within its window, and a state of zero prior at zero, so never
// (j = numOnset) stays 0 in every fitted model, deliberately: it differs
// from a lift at the grid's last onset (336 hours) only for attempts
// after 336 hours, which a ledger retrying within windows of at most 14
// days (DefaultWindow, the worlds' budgets) does not hold, so no fit
// could tell the two apart and any weight there would be the seed's, not
// the data's. A hold that never lifts is the dead class's (its small
// constant chance). The cost: in a window longer than 14 days every
// cure_14d hold counts as lifted from 336 hours, its chance the lifted
// one's; fitting never needs a seed weight and ledgers with longer
// windows to fit it from.
func initialOnset() []float64 {
	J := numOnset + 1
	pi := make([]float64, numCures*J)
	for c := 0; c < numCures; c++ {
		row := pi[c*J : (c+1)*J]
		var z float64
		for j := 0; j < numOnset; j++ {
			if h := float64(j * onsetStep); h >= cureLift[c] && h < cureLift[c+1] {
				row[j] = 1
				z++
			}
		}
		for j := range row {
			row[j] /= z
		}
	}
	return pi
}

// activityBefore returns the sorted activity in (first, end] of acts
// (sorted).
func activityBefore(acts []time.Time, first, end time.Time) []time.Time {
	lo := sort.Search(len(acts), func(i int) bool { return acts[i].After(first) })
	hi := sort.Search(len(acts), func(i int) bool { return acts[i].After(end) })
	if hi < lo {
		return nil
	}
	return acts[lo:hi]
}

// farFuture bounds spans that run to the end of the ledger.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// weighActivity multiplies the state weights w by the likelihood of the
// card's activity in (first, end], scaled so the largest factor is 1.
// The summary is a pooled one and the rates' logarithms are the model's
// (activityLogs), so a call allocates nothing.
func weighActivity(m *Mixture, w []float64, dep *deposits, first, end time.Time, acts []time.Time) {
	a := actSums.Get().(*actSum)
	weighActivityBy(m.Activity, m.activityLogs(), w, dep, first, end, acts, *a)
	actSums.Put(a)
}

// actSums pools weighActivity's summaries.
var actSums = sync.Pool{New: func() any { a := newActSum(); return &a }}

// weighActivityBy is weighActivity with the rates lam, their logarithms
// lg and the summary scratch a given: the planner's fold and the
// package's callers share it, so their weights are the same numbers.
func weighActivityBy(lam, lg, w []float64, dep *deposits, first, end time.Time, acts []time.Time, a actSum) {
	dep.summarise(a, first, end, acts)
	var ll [NumStates]float64
	var scratch [3 * (numOnset + 1)]float64
	activityLogLik(lam, lg, a, ll[:], scratch[:])
	scaleByLogLik(w, ll[:])
}

// logRates is the logarithms of activity rates (nil for none).
func logRates(lam []float64) []float64 {
	if lam == nil {
		return nil
	}
	lg := make([]float64, len(lam))
	for i, l := range lam {
		lg[i] = math.Log(l)
	}
	return lg
}

// activityLogs is log Activity: the table setVersion keeps with the
// version while Activity is the slice it was taken of, else worked out
// afresh (a mixture whose rates were replaced after). The check is of
// the slice's identity, not its elements: an element changed in place
// (m.Activity[i] = x) goes unnoticed, so a Mixture's tables are not to
// be mutated in place once it has been used; replace the slice instead.
func (m *Mixture) activityLogs() []float64 {
	if len(m.logAct) == len(m.Activity) && len(m.Activity) > 0 && &m.logSrc[0] == &m.Activity[0] {
		return m.logAct
	}
	return logRates(m.Activity)
}

// scaleByLogLik multiplies w[s] by exp(ll[s] − max ll) over the states
// whose weight is not zero.
func scaleByLogLik(w, ll []float64) {
	top := math.Inf(-1)
	for s := range w {
		if w[s] > 0 {
			top = max(top, ll[s])
		}
	}
	for s := range w {
		if w[s] > 0 {
			w[s] *= math.Exp(ll[s] - top)
		}
	}
}

// actEM holds the activity part of the EM fit: the current rates and
// onsets, their starting values (the M step's pull) and the sums.
type actEM struct {
	lam, lam0, pi, pi0 []float64
	lg                 []float64 // log lam, set by prepare
	num, den, piNum    []float64
	qn, qe, ln, le     float64 // quiet and live events and exposure
	scratch            []float64
}

func newActEM(pooled float64) *actEM {
	J := numOnset + 1
	e := &actEM{lam: initialActivity(pooled), lam0: initialActivity(pooled), pi: initialOnset(), pi0: initialOnset(),
		lg: make([]float64, numAct), num: make([]float64, numAct), den: make([]float64, numAct), piNum: make([]float64, numCures*J),
		scratch: make([]float64, 3*J)}
	return e
}

// prepare takes the logarithms of the rates for an iteration.
func (e *actEM) prepare() {
	for i, l := range e.lam {
		e.lg[i] = math.Log(l)
	}
}

// logLik adds each state's activity log-likelihood to l (NumStates),
// leaving onsetLogLik's numbers in scratch for add.
func (e *actEM) logLik(a actSum, l, tmp []float64) {
	activityLogLik(e.lam, e.lg, a, tmp, e.scratch)
	for s := range l {
		l[s] += tmp[s]
	}
}

// add adds the sequence's activity, weighted by its state
// responsibilities, to the sums; scratch still holds what logLik
// computed for the sequence.
func (e *actEM) add(a actSum, resp []float64) {
	for k := 0; k < numSched; k++ {
		for b := 0; b < numAge; b++ {
			e.num[actFunds+b] += resp[k] * float64(a.n[sumFunds+k*numAge+b])
			e.den[actFunds+b] += resp[k] * float64(a.e[sumFunds+k*numAge+b])
		}
	}
	e.num[actDead] += resp[stateDead] * float64(a.n[sumDead])
	e.den[actDead] += resp[stateDead] * float64(a.e[sumDead])
	J := numOnset + 1
	nb, eb := e.scratch[J:2*J], e.scratch[2*J:3*J]
	n, x := nb[J-1], eb[J-1] // everything is before "never"
	for j := 0; j < J; j++ {
		r := resp[stateOnset+j]
		if r < 1e-12 {
			continue
		}
		e.qn += r * nb[j]
		e.qe += r * eb[j]
		e.ln += r * (n - nb[j])
		e.le += r * (x - eb[j])
	}
}

// addOnsets adds the onset states' responsibilities to the onsets' sums.
func (e *actEM) addOnsets(resp []float64) {
	J := numOnset + 1
	for j := 0; j < J; j++ {
		e.piNum[int(onsetClass[j])*J+j] += resp[stateOnset+j]
	}
}

// mStep sets the rates and onsets from the sums (a day of pseudo-exposure
// at the starting rates, a few pseudo-sequences of the starting onsets)
// and clears the sums.
func (e *actEM) mStep() {
	for c := range e.lam {
		e.lam[c] = max((e.num[c]+24*e.lam0[c])/(e.den[c]+24), 1e-6)
	}
	e.lam[actQuiet] = max((e.qn+24*e.lam0[actQuiet])/(e.qe+24), 1e-6)
	e.lam[actLive] = max((e.ln+24*e.lam0[actLive])/(e.le+24), 1e-6)
	J := numOnset + 1
	for c := 0; c < numCures; c++ {
		row, num, row0 := e.pi[c*J:(c+1)*J], e.piNum[c*J:(c+1)*J], e.pi0[c*J:(c+1)*J]
		var z float64
		for j := range row {
			row[j] = num[j] + 2*row0[j]
			z += row[j]
		}
		for j := range row {
			row[j] /= z
		}
	}
	clear(e.num)
	clear(e.den)
	clear(e.piNum)
	e.qn, e.qe, e.ln, e.le = 0, 0, 0, 0
}
