package smartretry

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"sort"
	"time"
)

// Mixture is the latent-class family of the hazard model. A failed
// invoice belongs to one of a few hidden classes that the ledger never
// names: a funds shortfall whose customer is paid on one of the common
// pay schedules (one class per schedule), a hold or error that lifts
// within six hours, a day, two, four, seven or fourteen days (six
// classes), or a card that will not be paid (one class). A class fixes
// how the chance of an attempt depends on its time and on the previous
// attempt:
//
//   - funds, schedule s: after a pay deposit of s that came since the
//     previous attempt, a chance that depends on the hours since that
//     deposit; with no deposit since the previous attempt, one small
//     chance (the balance has not changed, so retrying rarely helps);
//   - cure c (by when its hold lifts): the hold lifts at a hidden onset
//     within the class's window (CureOnset: a distribution on a grid of
//     onsetStep hours), before which one small chance; after it a chance
//     by the local hour (issuers approve more by day; sparse hours borrow
//     from the day), and lower when the previous attempt came after the
//     lift the same day of the run (an issuer's decision is sticky
//     within a day). The onset is part of the hidden state: the card's
//     activity (quiet until the lift) and the failures after it tell it,
//     so the chance of a cure class at an attempt depends on whether its
//     hold has lifted by then, not on a rate pooled over both;
//   - dead: one small chance.
//
// The class prior depends on what the ledger tells of the invoice (the
// first decline's category, the card's funding and the customer's
// country), smoothed towards the category and funding, then the whole
// population. Tables and priors are fitted by EM over invoice-level
// attempt sequences (mixture_fit.go). At decision time the posterior over
// states (a funds class, the dead card, a cure class with its onset)
// follows from the invoice's failed retries and card activity, and the planner
// (mixture_plan.go) chooses a set of retries maximising the chance of
// recovery under that posterior, each planned failure updating it: that
// is what spreads retries over candidate paydays and days instead of
// bunching them in one deposit period or one day.
type Mixture struct {
	// DepositHour is the local hour at which pay lands on a pay day,
	// chosen by likelihood.
	DepositHour int
	// Hazard is the table of per-cell chances (see the cell constants).
	Hazard []float64
	// Prior maps a prior key (category|funding|country) to class
	// probabilities; keys unseen in training fall back to FallbackPrior
	// (by category|funding) and then GlobalPrior.
	Prior         map[string][]float64
	FallbackPrior map[string][]float64
	GlobalPrior   []float64
	// Activity are the classes' rates of card activity per hour (see
	// mixture_activity.go); nil means the mixture ignores activity.
	// CureOnset are the cure classes' distributions of when a hold lifts,
	// numOnset+1 per class (the onset grid, then never), each within the
	// class's window (cureLift); they set the cure classes' chances.
	// Never is always 0 in a fitted model (initialOnset says why).
	Activity  []float64
	CureOnset []float64
	// LogLik is the fitted log-likelihood per sequence (training).
	LogLik float64
	// Test scores a fit on the other sequences on held-out ones
	// (MixtureOptions.HoldOut); zero when none were held out.
	Test    Metrics
	version string
	// logAct is log Activity, taken with the version (setVersion) of
	// logSrc, the Activity it was taken of (activityLogs). It is keyed
	// by the slice's identity, so Activity (like every table here) is
	// not to be changed element by element once the mixture is used.
	logAct, logSrc []float64
}

// Pay schedules of the funds classes.
const (
	schedWeekly = iota
	schedBiweekly0
	schedBiweekly1
	schedSemimonthly // the 15th and the last business day
	schedLastBD
	schedFirst
	sched25th
	schedFifthBD
	numSched
)

var schedNames = [numSched]string{"weekly_friday", "biweekly_friday_a", "biweekly_friday_b", "15th_and_last_bd", "last_bd", "1st", "25th", "5th_bd"}

// Classes: the funds schedules, then the cures by when the hold lifts,
// then dead.
const (
	classCureFast = numSched // the first cure class
	numCures      = 6
	classDead     = numSched + numCures
	NumClasses    = classDead + 1
)

// cureLift bounds, in hours since the first failure, when the holds of
// each cure class lift: class c's onsets lie within [cureLift[c],
// cureLift[c+1]). The windows let the class prior say how fast a decline
// of some kind usually cures, and each class have its own chance after
// the lift; within a window the onset is the state's (CureOnset).
var cureLift = [numCures + 1]float64{0, 6, 24, 48, 96, 168, math.Inf(1)}

var cureNames = [numCures]string{"cure_6h", "cure_1d", "cure_2d", "cure_4d", "cure_7d", "cure_14d"}

// ClassName names class k.
func ClassName(k int) string {
	switch {
	case k < numSched:
		return "funds_" + schedNames[k]
	case k < classDead:
		return cureNames[k-classCureFast]
	}
	return "dead"
}

// Hour buckets: ageEdges since a deposit (upper bounds, hours).
var ageEdges = []float64{1, 2, 3, 4, 6, 9, 12, 18, 24, 36, 48, 72, 120}

// numBands is how many local hours of the day the cure cells tell
// apart; a constant, so that a point's local hour is its band with a
// check at compile time (grid).
const numBands = 24

// Cells of the hazard table: the funds cells, then each cure class's
// (cureCells: before its hold lifts, then after it by local hour and
// whether the previous attempt was a lifted one of the same day), then
// the dead card's.
var (
	numAge        = len(ageEdges) + 1
	cellFundsOld  = 0
	cellFundsNew  = 1
	cellCure      = cellFundsNew + numAge
	cureCells     = 1 + 2*numBands
	cellDead      = cellCure + numCures*cureCells
	numCells      = cellDead + 1
	blockHours    = 24.0
	lookbackDays  = 40
	minHazard     = 1e-4
	maxHazard     = 0.98
	initialHazard = func(cell int) float64 {
		switch {
		case cell == cellFundsOld:
			return 0.01
		case cell < cellCure:
			return 0.5 * math.Exp(-float64(cell-cellFundsNew)/8)
		case cell < cellDead:
			if (cell-cellCure)%cureCells == 0 {
				return 0.005 // before the lift
			}
			return 0.4
		}
		return 0.002
	}
)

// cureCell is the cell of cure class c for an attempt in local hour band
// after its hold lifted, sticky when the previous attempt came after the
// lift in the same day of the run (the issuer's decision holds within a
// day, so a second try that day rarely turns it).
func cureCell(c, band int, sticky bool) int {
	return cellCure + c*cureCells + 1 + 2*band + b2i(sticky)
}

func bucket(edges []float64, h float64) int {
	return sort.SearchFloat64s(edges, math.Nextafter(h, math.Inf(1)))
}

// point is an attempt time as the hazards see it.
type point struct {
	unix  int64
	h     float64          // hours since the first failure
	idx   [numSched]int32  // deposits of each schedule at or before the time
	fcell [numSched]uint16 // funds cell if a deposit came since the previous attempt
	band  uint8            // local hour
	on    int16            // onsets j < on have lifted by the time (onsetOf)
	block int32
	// dver counts the grid's slots up to this one whose deposit counts
	// (idx) changed: two slots of one grid have the same idx exactly when
	// they have the same dver (the counts only grow), a comparison the
	// search makes per slot. Zero outside a grid.
	dver int32
}

// deposits lists, per schedule, the pay deposits (Unix seconds) around an
// invoice's run, from lookbackDays before from to a day after to.
type deposits struct {
	pay [numSched][]int64
	loc *time.Location
}

func payDeposits(loc *time.Location, from, to time.Time, hour int) *deposits {
	var d deposits
	d.fill(loc, from, to, hour)
	return &d
}

func (d *deposits) fill(loc *time.Location, from, to time.Time, hour int) {
	d.loc = loc
	for s := range d.pay {
		d.pay[s] = d.pay[s][:0]
	}
	c0, c1 := toCivil(from, loc), toCivil(to, loc)
	// The month, its days [mStart, mEnd) and its anchors are worked out
	// once per month; a day of it is its offset from mStart.
	var am [5]int
	y, m, mStart, mEnd := 0, 0, 0, math.MinInt
	for day := c0.day - lookbackDays; day <= c1.day+1; day++ {
		if day >= mEnd {
			var dd int
			y, m, dd = civilFromDays(day)
			mStart = day - dd + 1
			mEnd = mStart + daysIn(y, m)
			for i, kind := range [5]int{anchorLastBD, anchorMid, anchorFirst, anchor25th, anchorFifthBD} {
				am[i] = monthlyAnchor(kind, y, m)
			}
		}
		mask := depositMask(day, &am)
		if mask == 0 {
			continue
		}
		at := time.Date(y, time.Month(m), day-mStart+1, hour, 0, 0, 0, loc).Unix()
		for s := 0; s < numSched; s++ {
			if mask&(1<<s) != 0 {
				d.pay[s] = append(d.pay[s], at)
			}
		}
	}
}

// depositMask is the schedules (bit s for schedule s) that pay on day (days
// since the epoch, civil), given its month's anchors am (last business day,
// 15th, 1st, 25th, fifth business day, each as a day).
func depositMask(day int, am *[5]int) uint16 {
	wd := weekdayOf(day)
	var mask uint16
	if wd == 5 {
		mask |= 1 << schedWeekly
		if ((day-1)/7)%2 == 0 {
			mask |= 1 << schedBiweekly0
		} else {
			mask |= 1 << schedBiweekly1
		}
	}
	if wd == 0 || wd == 6 {
		return mask
	}
	if day == am[0] {
		mask |= 1<<schedLastBD | 1<<schedSemimonthly
	}
	if day == am[1] {
		mask |= 1 << schedSemimonthly
	}
	if day == am[2] {
		mask |= 1 << schedFirst
	}
	if day == am[3] {
		mask |= 1 << sched25th
	}
	if day == am[4] {
		mask |= 1 << schedFifthBD
	}
	return mask
}

// at describes time t of a run whose first failure was at first.
func (d *deposits) at(t, first time.Time) point {
	p := point{unix: t.Unix(), h: t.Sub(first).Hours()}
	for s := range d.pay {
		list := d.pay[s]
		i := sort.Search(len(list), func(k int) bool { return list[k] > p.unix })
		p.idx[s] = int32(i)
		p.fcell[s] = uint16(cellFundsOld)
		if i > 0 {
			p.fcell[s] = uint16(cellFundsNew + bucket(ageEdges, float64(p.unix-list[i-1])/3600))
		}
	}
	p.band = uint8(min(int(toCivil(t, d.loc).hour), numBands-1))
	p.on = onsetOf(p.unix - first.Unix())
	p.block = int32(math.Floor(p.h / blockHours))
	return p
}

// States: a funds class's, the dead card's, and one per cure onset
// (stateOnset+j: a hold lifting at onset j of the grid, numOnset never,
// of the cure class whose window holds it, onsetClass). A class's
// chance fixed, the failed attempts and the card's activity weigh the
// states as they weigh the classes; a cure class's chance then depends
// on whether its hold has lifted by the attempt, which the activity
// before it and the failed attempts after the lift tell.
const (
	stateDead  = numSched
	stateOnset = numSched + 1
	NumStates  = stateOnset + numOnset + 1
)

// onsetOf is the point's on for a time sec seconds after the first
// failure: the onsets (j·onsetStep hours) at or before it, none at the
// failure itself (a hold is never lifted when it declines).
func onsetOf(sec int64) int16 {
	if sec <= 0 {
		return 0
	}
	return int16(min(sec/(onsetStep*3600)+1, numOnset))
}

// nextOnset is the first Unix time after a run's first failure at
// first at which onsetOf exceeds on (on onsets lifted): onsetOf(sec) is
// sec/step+1 for sec > 0, so on+1 at sec = on·step; never past numOnset.
func nextOnset(on int16, first int64) int64 {
	if on >= numOnset {
		return math.MaxInt64
	}
	return first + max(int64(on)*onsetStep*3600, 1)
}

// onsetClass is the cure class of onset j: the class whose window
// (cureLift) holds j·onsetStep hours; never is the slowest class's.
var onsetClass = func() (oc [numOnset + 1]int8) {
	for j := range oc {
		c := 0
		for c < numCures-1 && float64(j*onsetStep) >= cureLift[c+1] {
			c++
		}
		oc[j] = int8(c)
	}
	return oc
}()

// onsetLo and onsetHi bound each cure class's onsets: j in
// [onsetLo[c], onsetHi[c]).
var onsetLo, onsetHi = func() (lo, hi [numCures]int) {
	for c := range lo {
		lo[c] = -1
	}
	for j, c := range onsetClass {
		if lo[c] < 0 {
			lo[c] = j
		}
		hi[c] = j + 1
	}
	return lo, hi
}()

// stateClass is the class of state s.
func stateClass(s int) int {
	switch {
	case s < numSched:
		return s
	case s == stateDead:
		return classDead
	}
	return classCureFast + int(onsetClass[s-stateOnset])
}

// cell is the hazard cell of state s for an attempt at b after one at a.
func cell(s int, a, b *point) int {
	switch {
	case s < numSched:
		if b.idx[s] > a.idx[s] {
			return int(b.fcell[s])
		}
		return cellFundsOld
	case s == stateDead:
		return cellDead
	}
	j := s - stateOnset
	c := int(onsetClass[j])
	if j >= int(b.on) {
		return cellCure + c*cureCells
	}
	return cureCell(c, int(b.band), a.block == b.block && j < int(a.on))
}

// statePrior writes the states' prior into out (NumStates) from a class
// prior.
func (m *Mixture) statePrior(out, classes []float64) []float64 {
	out = append(out[:0], classes[:numSched]...)
	out = append(out, classes[classDead])
	const J = numOnset + 1
	for j := 0; j < J; j++ {
		c := int(onsetClass[j])
		out = append(out, classes[classCureFast+c]*m.CureOnset[c*J+j])
	}
	return out
}

// classPosterior sums a state posterior into classes.
func classPosterior(out *[NumClasses]float64, post []float64) {
	*out = [NumClasses]float64{}
	for s, v := range post {
		out[stateClass(s)] += v
	}
}

// PriorKey is the class prior's key of an invoice.
func PriorKey(category, funding, country string) string {
	return category + "|" + funding + "|" + country
}

func fallbackKey(category, funding string) string { return category + "|" + funding }

// prior returns the class prior for an invoice.
func (m *Mixture) prior(category, funding, country string) []float64 {
	p, _ := m.priorLevel(category, funding, country)
	return p
}

// Version names the fitted mixture.
func (m *Mixture) Version() string { return m.version }

func (m *Mixture) setVersion() {
	h := fnv.New64a()
	var b [8]byte
	put := func(vs ...float64) {
		for _, v := range vs {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	putPriors := func(priors map[string][]float64) {
		for _, k := range slices.Sorted(maps.Keys(priors)) {
			h.Write([]byte(k))
			h.Write([]byte{0})
			put(priors[k]...)
		}
	}
	// Everything a plan reads: two models that differ anywhere get
	// different versions.
	put(float64(m.DepositHour))
	put(m.Hazard...)
	put(m.GlobalPrior...)
	putPriors(m.Prior)
	putPriors(m.FallbackPrior)
	put(m.Activity...)
	put(m.CureOnset...)
	m.version = fmt.Sprintf("mixture-%016x", h.Sum64())
	m.logAct, m.logSrc = logRates(m.Activity), m.Activity
}

// grid describes the hourly times start + j h, j in [from, n), into
// pts: as at does for each, walking the deposits, buckets and zone
// periods forward instead of searching them per slot.
func (d *deposits) grid(pts []point, start, first time.Time, from int) {
	n := len(pts)
	if from >= n {
		return
	}
	z := zoneCursor{loc: d.loc}
	t0 := start.Add(time.Duration(from) * time.Hour)
	p := d.at(t0, first)
	pts[from] = p
	var ab [numSched]int     // age bucket of each schedule
	var next [numSched]int64 // no earlier time changes the schedule's cell
	for s := range d.pay {
		if p.idx[s] > 0 {
			ab[s] = bucket(ageEdges, float64(p.unix-d.pay[s][p.idx[s]-1])/3600)
		}
		next[s] = d.nextChange(s, int(p.idx[s]), ab[s], p.unix)
	}
	soonest := slices.Min(next[:])                     // no earlier time changes any schedule's cell
	frac := float64(t0.Unix()-first.Unix())/3600 - p.h // 0 up to rounding
	h0, firstUnix := p.h, first.Unix()
	// The local hour moves on by one a slot while the zone's offset
	// stays: it is worked out again only when the offset changes, which
	// is looked up only when the zone's period ends (zEnd).
	lastOff, hour := math.MinInt, 0
	off, zEnd := 0, int64(math.MinInt64)
	onNext := nextOnset(p.on, firstUnix) // on moves on at this time, not before
	for j := from + 1; j < n; j++ {
		p.unix += 3600
		p.h = float64(j-from) + h0 + frac
		if p.unix >= soonest { // most hours: no schedule's cell changes
			dv := p.dver
			for s := range d.pay {
				if p.unix < next[s] {
					continue
				}
				list := d.pay[s]
				i := int(p.idx[s])
				moved := false
				for i < len(list) && list[i] <= p.unix {
					i++
					moved = true
				}
				if moved {
					p.idx[s] = int32(i)
					ab[s] = 0
					p.dver = dv + 1
				}
				if i > 0 {
					age := float64(p.unix-list[i-1]) / 3600
					for ab[s] < len(ageEdges) && ageEdges[ab[s]] <= age {
						ab[s]++
					}
					p.fcell[s] = uint16(cellFundsNew + ab[s])
				}
				next[s] = d.nextChange(s, i, ab[s], p.unix)
			}
			soonest = slices.Min(next[:])
		}
		if p.unix >= zEnd {
			off, zEnd = z.offsetAt(p.unix), z.to
			if zEnd == 0 {
				zEnd = math.MaxInt64
			}
		}
		if off != lastOff {
			lastOff, hour = off, int(((p.unix+int64(off))%86400+86400)%86400)/3600
		} else if hour++; hour == 24 {
			hour = 0
		}
		p.band = uint8(hour) // a local hour is its band (numBands is 24)
		if p.unix >= onNext {
			p.on = onsetOf(p.unix - firstUnix)
			onNext = nextOnset(p.on, firstUnix)
		}
		p.block = int32(math.Floor(p.h / blockHours))
		pts[j] = p
	}
}

// A point's band is its local hour (grid): there are 24 bands.
const _, _ = uint(numBands - 24), uint(24 - numBands)

// nextChange is a time after now before which the cell of schedule s
// cannot change, for a time with i deposits of s at or before it and age
// bucket ab: the next deposit, or the deposit's age reaching the bucket's
// upper edge (rounded down to whole seconds, so no earlier time reaches
// it), or now+1 when that has passed.
func (d *deposits) nextChange(s, i, ab int, now int64) int64 {
	list := d.pay[s]
	t := int64(math.MaxInt64)
	if i < len(list) {
		t = list[i]
	}
	if i > 0 && ab < len(ageEdges) {
		t = min(t, list[i-1]+int64(math.Floor(ageEdges[ab]*3600)))
	}
	return max(t, now+1)
}
