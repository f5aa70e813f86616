package smartretry

import (
	"math"
	"sync"
	"time"
)

// grid is the hourly candidate grid of one planning request. For a
// linear model it holds each slot's log-odds parts as factors
// exp(-log-odds), read from the model's folded tables (fold.go); for
// another family, each slot's full time features.
type grid struct {
	c       *Case
	sc      Scorer
	lin     *prepared    // nil for a non-linear scorer
	ct      *comboTables // the model's tables for the Case's groups (linear)
	start   time.Time
	h0      int // whole hours from the first failure to start (when aligned)
	n       int
	s       staticPart
	civ     []civil
	anchor  [][numAnchors]int // day number of each anchor's latest day on or before the slot
	slots   []slotPart        // full time features (generic path only)
	allowed []bool
	nDone   int // attempts already made, as Case.counted counts them

	// linear fast path: exp(-log-odds) factors
	linBuf prepared
	eBase  float64
	eU     []float64 // exp(-uZ), for settled slots
	uZ     []float64 // the log-odds part of the slot's time alone
	ready  []bool    // slots whose eU and pFirst are settled
	ePrev  []float64 // exp(-log-odds of the previous attempt's hour), by slot
	eGap   []float64 // by whole hours between slots (may alias the model's table: read only)
	gapBuf []float64
	eAtt   []float64 // by attempt number - nDone - 1
	pFirst []float64 // P(success) of the next attempt at each slot (settled slots; see firstProb)
	zFirst []float64 // its log-odds (for ranking)
	hours  [24]hourPart
	hbase  hourBase

	// dayIdx numbers the local days of the grid; crossTab[di][dj] is the
	// product of the payday-crossing factors for a failure on day di and
	// an attempt on day dj (anchors only change at local midnight).
	dayIdx   []int
	days     []int // first slot of each local day
	crossTab [][]float64

	row []float64 // scratch for the generic path

	// optimizer scratch
	disc, vals, rem []float64
	best            []int
	cont, frst, un  []int
}

// grids are pooled: a request allocates tens of kilobytes of per-slot
// state, which would otherwise dominate the planner's time in garbage
// collection under load.
var gridPool = sync.Pool{New: func() any { return new(grid) }}

// grow returns s resized to n zeroed elements, reusing its storage.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// resize returns s resized to n elements, reusing its storage, without
// clearing them: for arrays that are written in full before being read.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// release returns g to the pool; g must not be used afterwards.
func (g *grid) release() {
	g.c, g.sc, g.lin, g.ct, g.eGap = nil, nil, nil, nil, nil
	gridPool.Put(g)
}

func newGrid(c *Case, sc Scorer, start, end time.Time) *grid {
	g := gridPool.Get().(*grid)
	g.c, g.sc, g.lin, g.ct, g.start, g.nDone, g.n = c, sc, nil, nil, start, c.counted(), 0
	g.eAtt = g.eAtt[:0]
	if !end.Before(start) {
		g.n = int(end.Sub(start)/time.Hour) + 1
	}
	g.s = computeStaticInto(c, g.s.x)
	g.civ = resize(g.civ, g.n)
	g.anchor = resize(g.anchor, g.n)
	g.allowed = grow(g.allowed, g.n)
	g.pFirst = resize(g.pFirst, g.n)
	g.zFirst = resize(g.zFirst, g.n)
	if l, ok := sc.(Linear); ok {
		g.fillLinear(l)
	} else {
		g.fillGeneric()
	}
	return g
}

// fillGeneric computes every slot's full time features and scores the
// next attempt at each from full rows.
func (g *grid) fillGeneric() {
	g.slots = resize(g.slots, g.n)
	g.row = grow(g.row, len(lay.names))
	var cache dayAnchors
	zc := zoneCursor{loc: g.c.Loc}
	for j := 0; j < g.n; j++ {
		t := g.at(j)
		g.slots[j] = computeSlotAt(&g.s, t, civilAt(t.Unix(), zc.offset(t)), &cache)
		g.civ[j], g.anchor[j] = g.slots[j].civ, g.slots[j].anchor
	}
	for j := 0; j < g.n; j++ {
		g.pFirst[j] = g.prob(-1, j, g.nDone+1)
		g.zFirst[j] = math.Log(g.pFirst[j] / (1 - g.pFirst[j]))
	}
}

// dayPart is the log-odds part of a local day of the grid.
type dayPart struct {
	anchor    [numAnchors]int
	z         float64 // weekday and paydays crossed since the first failure
	since, to float64 // Σ coef·proximity at the day's midnight (scaled by the hour's decay)
	crossZ    float64 // paydays (and two Fridays) crossed since the Case's last attempt
	eCross    float64 // exp(-crossZ) as a product of the model's factors
}

func (g *grid) dayOf(cv civil) dayPart {
	ct, p := g.ct, g.lin
	an := anchorsOn(cv)
	d := dayPart{anchor: an.last, z: ct.weekdayZ[cv.wd], eCross: 1}
	lastDay := p.s.last.day
	for a := 0; a < numAnchors; a++ {
		d.since += p.coef[tSince+a] * an.sinceDay[a]
		d.to += p.coef[tTo+a] * an.toDay[a]
		if an.last[a] > p.s.first.day {
			d.z += p.coef[tCrossedFirst+a]
		}
		if an.last[a] > lastDay {
			d.crossZ += p.coef[tCrossedLast+a]
			d.eCross *= ct.eCross[a]
		}
	}
	if an.last[anchorFriday]-7 > lastDay {
		d.crossZ += p.coef[tTwoFridays]
		d.eCross *= ct.eTwoFri
	}
	return d
}

// fillLinear computes each slot's factors from the model's folded
// tables: per slot, table reads, a few multiplications and one
// exponential.
func (g *grid) fillLinear(l Linear) {
	w := l.Weights()
	ct := foldedFor(l).combo(&g.s.groups)
	g.ct = ct
	g.linBuf = prepared{s: g.s, base: dot(w[:lay.static], g.s.x), coef: ct.coef}
	p := &g.linBuf
	g.lin = p
	g.eBase = math.Exp(-p.base)
	g.eU = resize(g.eU, g.n)
	g.uZ = resize(g.uZ, g.n)
	g.ready = grow(g.ready, g.n)
	g.ePrev = resize(g.ePrev, g.n)
	if g.n < len(ct.eGap) {
		g.eGap = ct.eGap[:g.n+1]
	} else {
		g.gapBuf = grow(g.gapBuf, g.n+1)
		for h := range g.gapBuf {
			g.gapBuf[h] = math.Exp(-p.gapLogit(time.Duration(h) * time.Hour))
		}
		g.eGap = g.gapBuf
	}
	g.hours = [24]hourPart{}

	// Whole hours from the first failure and the last attempt, when the
	// grid is aligned to them (it is to the first failure when the planner
	// builds it; to the last attempt when that was a whole number of hours
	// after the first).
	sinceFirst := g.start.Sub(p.s.firstT)
	firstAligned := sinceFirst >= 0 && sinceFirst%time.Hour == 0
	g.h0 = int(sinceFirst / time.Hour)
	sinceLast := g.start.Sub(p.s.lastT)
	lastAligned := sinceLast >= 0 && sinceLast%time.Hour == 0
	hl0 := int(sinceLast / time.Hour)

	za := p.attemptLogit(g.nDone + 1)
	zPrev := ct.prevZ[prevClass(p.s.last.hour)]
	zc := zoneCursor{loc: g.c.Loc}
	sec0 := g.start.Unix()
	var cv civil
	var dy dayPart
	for j := 0; j < g.n; j++ {
		sec := sec0 + 3600*int64(j)
		off := zc.offsetAt(sec)
		if local := sec + int64(off); j > 0 && local >= int64(cv.day)*86400 && local < int64(cv.day+1)*86400 {
			cv.hour = float64(local-int64(cv.day)*86400) / 3600
		} else {
			cv = civilAt(sec, off)
			dy = g.dayOf(cv)
		}
		g.civ[j], g.anchor[j] = cv, dy.anchor
		rem := int64(cv.hour*3600 + 0.5)
		if j == 0 {
			g.setHourBase(rem)
		}
		hp := g.hourOf(rem, cv.hour)

		var fz float64
		if h := g.h0 + j; firstAligned && h <= foldHours {
			fz = ct.firstZ[h]
		} else {
			fz = p.sinceFirstLogit(g.at(j).Sub(p.s.firstT))
		}
		u := fz + hp.z + dy.z + hp.hd*dy.since + dy.to/hp.hd
		g.uZ[j] = u
		g.ePrev[j] = ct.ePrev[hp.prevCl]

		var gz float64
		if h := hl0 + j; lastAligned && h <= foldHours {
			gz = ct.gapZ[h]
		} else {
			gz = p.gapLogit(g.at(j).Sub(p.s.lastT))
		}
		g.zFirst[j] = p.base + u + za + gz + dy.crossZ + zPrev
	}
}

// settle computes slot j's exponentials: most slots of a grid are only
// ranked (by zFirst, a sum), and the optimizer, the schedule and the
// candidate list read these for the slots they use.
func (g *grid) settle(j int) {
	if g.lin == nil || g.ready[j] {
		return
	}
	g.eU[j] = math.Exp(-g.uZ[j])
	g.pFirst[j] = sigmoid(g.zFirst[j])
	g.ready[j] = true
}

// firstProb is P(success) of the next attempt at slot j.
func (g *grid) firstProb(j int) float64 {
	g.settle(j)
	return g.pFirst[j]
}

func (g *grid) at(j int) time.Time { return g.start.Add(time.Duration(j) * time.Hour) }

// rowAt writes the full feature row of attempt n at slot j after a failed
// attempt at slot prev (-1: the Case's real last attempt).
func (g *grid) rowAt(prev, j, n int, dst []float64) {
	s := &g.s
	copy(dst, s.x)
	var sp slotPart
	if g.lin == nil {
		sp = g.slots[j]
	} else {
		sp = computeSlotAt(s, g.at(j), g.civ[j], nil)
	}
	x := sp.x
	attemptFeatures(&x, n)
	prevT, prevC := s.lastT, s.last
	if prev >= 0 {
		prevT, prevC = g.at(prev), g.civ[prev]
	}
	pairFeatures(&x, &sp, g.at(j), prevT, prevC)
	copy(dst[lay.timeStart:], x[:])
	i := lay.crossStart
	for gr := 0; gr < numGroups; gr++ {
		for _, k := range crossings[gr] {
			dst[i] = s.groups[gr] * x[k]
			i++
		}
	}
}

// prob is P(success) of attempt n at slot j after a failure at slot prev.
func (g *grid) prob(prev, j, n int) float64 {
	if prev < 0 && n == g.nDone+1 && g.lin != nil {
		return g.firstProb(j)
	}
	if g.lin == nil {
		g.rowAt(prev, j, n, g.row)
		return g.sc.Score(g.row)
	}
	p := g.lin
	g.settle(j)
	q := g.eBase * g.eU[j] * g.attemptFactor(n)
	prevDay := p.s.last.day
	if prev >= 0 {
		q *= g.eGap[j-prev] * g.ePrev[prev]
		prevDay = g.civ[prev].day
	} else {
		q *= math.Exp(-p.gapLogit(g.at(j).Sub(p.s.lastT)) - p.prevLogit(p.s.last))
	}
	for a := 0; a < numAnchors; a++ {
		if g.anchor[j][a] > prevDay {
			q *= g.ct.eCross[a]
		}
	}
	if g.anchor[j][anchorFriday]-7 > prevDay {
		q *= g.ct.eTwoFri
	}
	return 1 / (1 + q)
}

// buildCrossTable fills dayIdx and crossTab.
func (g *grid) buildCrossTable() {
	g.dayIdx = resize(g.dayIdx, g.n)
	firstSlot := g.days[:0] // first slot of each day
	for j := 0; j < g.n; j++ {
		if j == 0 || g.civ[j].day != g.civ[j-1].day {
			firstSlot = append(firstSlot, j)
		}
		g.dayIdx[j] = len(firstSlot) - 1
	}
	g.days = firstSlot
	d := len(firstSlot)
	g.crossTab = resize(g.crossTab, d) // rows keep their storage across requests
	for di := range g.crossTab {
		g.crossTab[di] = resize(g.crossTab[di], d)
		prevDay := g.civ[firstSlot[di]].day
		for dj := range d {
			if dj < di { // an earlier day's anchors cannot be after prevDay
				g.crossTab[di][dj] = 1
				continue
			}
			an := &g.anchor[firstSlot[dj]]
			f := 1.0
			for a := 0; a < numAnchors; a++ {
				if an[a] > prevDay {
					f *= g.ct.eCross[a]
				}
			}
			if an[anchorFriday]-7 > prevDay {
				f *= g.ct.eTwoFri
			}
			g.crossTab[di][dj] = f
		}
	}
}

// attemptFactor is exp(-attempt-number log-odds) of attempt n, cached.
func (g *grid) attemptFactor(n int) float64 {
	i := n - g.nDone - 1
	for len(g.eAtt) <= i {
		g.eAtt = append(g.eAtt, math.Exp(-g.lin.attemptLogit(g.nDone+1+len(g.eAtt))))
	}
	return g.eAtt[i]
}

// topPerDay appends to out the allowed slots with the highest score in
// each local day, in slot order: the optimizer's candidate states. Within
// one day the previous-attempt features barely change, so the best few
// hours by score carry the best schedule.
func (g *grid) topPerDay(out []int, score []float64, per int) []int {
	out = out[:0]
	var top [8]int
	per = min(per, len(top))
	k := 0
	flush := func() {
		// emit the day's picks in slot order
		for a := 1; a < k; a++ {
			for b := a; b > 0 && top[b] < top[b-1]; b-- {
				top[b], top[b-1] = top[b-1], top[b]
			}
		}
		out = append(out, top[:k]...)
		k = 0
	}
	for j := 0; j < g.n; j++ {
		if j > 0 && g.civ[j].day != g.civ[j-1].day {
			flush()
		}
		if !g.allowed[j] {
			continue
		}
		switch {
		case k < per:
			top[k] = j
			k++
		default:
			// replace the day's weakest pick if j beats it
			w := 0
			for a := 1; a < k; a++ {
				if score[top[a]] < score[top[w]] {
					w = a
				}
			}
			if score[j] > score[top[w]] {
				top[w] = j
			}
		}
	}
	flush()
	return out
}

// withProbes merges the first n allowed slots into the sorted states.
func (g *grid) withProbes(states []int, n int) []int {
	if n <= 0 {
		return states
	}
	var early []int
	for j := 0; j < g.n && len(early) < n; j++ {
		if g.allowed[j] {
			early = append(early, j)
		}
	}
	return union(nil, states, early)
}
