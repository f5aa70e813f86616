package smartretry

import (
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// A linear model's log-odds for a Case and a candidate time split into a
// per-Case constant (the static block, prepared.go) and a sum over the
// time features with coefficients that depend on the Case only through
// its four group indicators (funds, soft, technical, debit). The groups
// are 0 or 1, so there are at most 16 sets of coefficients per model, and
// the parts of the time block that depend on a whole number of hours (the
// time since the first failure on an hourly grid anchored at it, the gap
// between two slots) become tables indexed by hours. They are built once
// per model and group set (folded), and a request reads them instead of
// evaluating exponentials and logarithms per slot.

// foldHours is the longest span, in hours, the tables cover: the API's
// longest window (60 days) with room to spare. Longer grids fall back to
// computing per slot.
const foldHours = 62 * 24

// numCombos is the number of group-indicator combinations.
const numCombos = 1 << numGroups

// folded holds a model's tables, built lazily per group combination.
type folded struct {
	w      []float64 // the weights they were built from (a copy)
	combos [numCombos]atomic.Pointer[comboTables]
}

// comboTables are the folded coefficients and tables of one model for one
// combination of group indicators.
type comboTables struct {
	groups [numGroups]float64
	coef   [numTime]float64
	// gapZ[h] is the log-odds part of h whole hours since the previous
	// attempt; eGap[h] = exp(-gapZ[h]).
	gapZ, eGap []float64
	// firstZ[h] is the log-odds part of h whole hours since the first
	// failure.
	firstZ []float64
	// prevZ and ePrev by class of the previous attempt's local hour
	// (prevClass).
	prevZ, ePrev [3]float64
	// weekdayZ by weekday (0 = Sunday).
	weekdayZ [7]float64
	// eCross[a] = exp(-coef of anchor a crossed since the last attempt);
	// eTwoFri likewise for two Fridays.
	eCross  [numAnchors]float64
	eTwoFri float64
}

// foldedFor returns l's tables. A Logistic keeps them (and rebuilds them
// if its weights were changed since); another linear family gets fresh
// tables per call, which is correct but slower.
func foldedFor(l Linear) *folded {
	w := l.Weights()
	m, ok := l.(*Logistic)
	if !ok {
		return newFolded(w)
	}
	if f := m.fold.Load(); f != nil && slices.Equal(f.w, w) {
		return f
	}
	f := newFolded(w)
	m.fold.Store(f)
	return f
}

func newFolded(w []float64) *folded {
	return &folded{w: slices.Clone(w)}
}

// comboIndex numbers a Case's group indicators, which computeStatic
// sets to exactly 0 or 1.
func comboIndex(groups *[numGroups]float64) int {
	i := 0
	for g := 0; g < numGroups; g++ {
		if groups[g] != 0 {
			i |= 1 << g
		}
	}
	return i
}

// combo returns the tables for groups, building them on first use.
// Concurrent first uses may both build; one result is kept.
func (f *folded) combo(groups *[numGroups]float64) *comboTables {
	i := comboIndex(groups)
	if t := f.combos[i].Load(); t != nil {
		return t
	}
	t := buildCombo(f.w, groups)
	if f.combos[i].CompareAndSwap(nil, t) {
		return t
	}
	return f.combos[i].Load()
}

func buildCombo(w []float64, groups *[numGroups]float64) *comboTables {
	t := &comboTables{groups: *groups}
	t.coef = foldCoef(w, groups)
	p := prepared{coef: t.coef}
	t.gapZ = make([]float64, foldHours+1)
	t.eGap = make([]float64, foldHours+1)
	t.firstZ = make([]float64, foldHours+1)
	for h := 0; h <= foldHours; h++ {
		d := time.Duration(h) * time.Hour
		t.gapZ[h] = p.gapLogit(d)
		t.eGap[h] = math.Exp(-t.gapZ[h])
		t.firstZ[h] = p.sinceFirstLogit(d)
	}
	for k, hour := range [3]float64{16, 0, 9} { // a representative hour of each prevClass
		t.prevZ[k] = p.prevLogit(civil{hour: hour})
		t.ePrev[k] = math.Exp(-t.prevZ[k])
	}
	for wd := range t.weekdayZ {
		var x [numTime]float64
		weekdayFeatures(&x, wd)
		for d := 0; d < 6; d++ {
			t.weekdayZ[wd] += t.coef[tWeekday+d] * x[tWeekday+d]
		}
	}
	for a := 0; a < numAnchors; a++ {
		t.eCross[a] = math.Exp(-t.coef[tCrossedLast+a])
	}
	t.eTwoFri = math.Exp(-t.coef[tTwoFridays])
	return t
}

// foldCoef folds the group crossings into the time coefficients.
func foldCoef(w []float64, groups *[numGroups]float64) [numTime]float64 {
	var coef [numTime]float64
	for k := 0; k < numTime; k++ {
		coef[k] = w[lay.timeStart+k]
	}
	i := lay.crossStart
	for g := 0; g < numGroups; g++ {
		for _, k := range crossings[g] {
			coef[k] += groups[g] * w[i]
			i++
		}
	}
	return coef
}

// prevClass classifies the previous attempt's local hour as prevFeatures
// does: 1 at night, 2 at midday, 0 otherwise.
func prevClass(hour float64) int {
	switch {
	case hour < 6:
		return 1
	case hour >= 9 && hour < 15:
		return 2
	}
	return 0
}

// hourPart is the log-odds part of one local hour of day, and the hour's
// decay of the payday proximity features.
type hourPart struct {
	rem    int64 // seconds since local midnight it was computed for, +1 (0: empty)
	z, hd  float64
	prevCl int
}

// hourTurns[k] holds sin and cos of k hours' turn of the local-hour
// harmonics and the proximity decay of k hours, so the hours of a grid
// follow from one base hour by rotation (hourOf).
var hourTurns = func() (t [24]struct{ s1, c1, s2, c2, hd float64 }) {
	for k := range t {
		b := 2 * math.Pi * float64(k) / 24
		t[k].s1, t[k].c1 = math.Sincos(b)
		t[k].s2, t[k].c2 = math.Sincos(2 * b)
		t[k].hd = hourDecay(float64(k))
	}
	return t
}()

// hourBase is the harmonics of a grid's fraction of an hour (its slots
// are whole hours apart, so their local hours share it unless a zone
// offset changes by a fraction of an hour).
type hourBase struct {
	frac               int64 // seconds past the hour, -1 when unset
	s1, c1, s2, c2, hd float64
}

// hourOf returns the hour part of rem seconds since local midnight,
// computing it once per request and hour: by rotating the grid's base
// hour when rem shares its fraction of an hour, directly otherwise.
func (g *grid) hourOf(rem int64, hour float64) *hourPart {
	h := &g.hours[rem/3600]
	if h.rem == rem+1 {
		return h
	}
	c := &g.lin.coef
	var x [numTime]float64
	if f, b := rem%3600, &g.hbase; f == b.frac {
		k := &hourTurns[rem/3600]
		x[tSin1], x[tCos1] = b.s1*k.c1+b.c1*k.s1, b.c1*k.c1-b.s1*k.s1
		x[tSin2], x[tCos2] = b.s2*k.c2+b.c2*k.s2, b.c2*k.c2-b.s2*k.s2
		if hour < 3 {
			x[tMidnight] = 1
		}
		h.hd = b.hd * k.hd
	} else {
		hourFeatures(&x, hour)
		h.hd = hourDecay(hour)
	}
	h.z = c[tSin1]*x[tSin1] + c[tCos1]*x[tCos1] + c[tSin2]*x[tSin2] + c[tCos2]*x[tCos2] + c[tMidnight]*x[tMidnight]
	h.prevCl = prevClass(hour)
	h.rem = rem + 1
	return h
}

// setHourBase sets the grid's base fraction of an hour from the local
// time rem seconds after midnight.
func (g *grid) setHourBase(rem int64) {
	f := rem % 3600
	a := 2 * math.Pi * (float64(f) / 3600) / 24
	b := &g.hbase
	b.frac = f
	b.s1, b.c1 = math.Sincos(a)
	b.s2, b.c2 = math.Sincos(2 * a)
	b.hd = hourDecay(float64(f) / 3600)
}
