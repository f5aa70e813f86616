package smartretry

import (
	"math"
	"sync"
	"time"
)

// grid is the hourly candidate grid of one planning request, with every
// slot's time features computed once.
type grid struct {
	c       *Case
	sc      Scorer
	lin     *prepared // nil for a non-linear scorer
	start   time.Time
	n       int
	slots   []slotPart
	allowed []bool
	nDone   int // attempts already made, as Case.counted counts them

	// linear fast path: exp(-log-odds) factors
	eBase, eTwoFri float64
	eU, u          []float64
	ePrev          []float64 // exp(-log-odds of the previous attempt's hour), by slot
	eCross         [numAnchors]float64
	eGap           []float64 // by whole hours between slots
	eAtt           []float64 // by attempt number - nDone - 1
	pFirst         []float64 // P(success) of the next attempt at each slot
	zFirst         []float64 // its log-odds (for ranking)

	// dayIdx numbers the local days of the grid; crossTab[di][dj] is the
	// product of the payday-crossing factors for a failure on day di and
	// an attempt on day dj (anchors only change at local midnight).
	dayIdx   []int
	crossTab [][]float64

	row []float64 // scratch for the generic path

	// optimizer scratch
	disc, vals, rem []float64
	best            []int
	cont, frst      []int
}

// grids are pooled: a request allocates a few hundred kilobytes of
// per-slot state, which would otherwise dominate the planner's time in
// garbage collection under load.
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

// release returns g to the pool; g must not be used afterwards.
func (g *grid) release() {
	g.c, g.sc, g.lin = nil, nil, nil
	gridPool.Put(g)
}

func newGrid(c *Case, sc Scorer, start, end time.Time) *grid {
	g := gridPool.Get().(*grid)
	g.c, g.sc, g.lin, g.start, g.nDone, g.n = c, sc, nil, start, c.counted(), 0
	g.eAtt = g.eAtt[:0]
	if !end.Before(start) {
		g.n = int(end.Sub(start)/time.Hour) + 1
	}
	g.slots = grow(g.slots, g.n)
	g.allowed = grow(g.allowed, g.n)
	g.pFirst = grow(g.pFirst, g.n)
	g.zFirst = grow(g.zFirst, g.n)
	var s staticPart
	if l, ok := sc.(Linear); ok {
		p := prepare(l.Weights(), c)
		g.lin = &p
		s = p.s
		g.eU = grow(g.eU, g.n)
		g.u = grow(g.u, g.n)
		g.eBase = math.Exp(-p.base)
		for a := 0; a < numAnchors; a++ {
			g.eCross[a] = math.Exp(-p.coef[tCrossedLast+a])
		}
		g.eTwoFri = math.Exp(-p.coef[tTwoFridays])
		g.eGap = grow(g.eGap, g.n+1)
		for h := range g.eGap {
			g.eGap[h] = math.Exp(-p.gapLogit(time.Duration(h) * time.Hour))
		}
	} else {
		s = computeStatic(c)
		g.row = grow(g.row, len(lay.names))
	}
	var cache dayAnchors
	zc := zoneCursor{loc: c.Loc}
	for j := 0; j < g.n; j++ {
		t := g.at(j)
		g.slots[j] = computeSlotAt(&s, t, civilAt(t.Unix(), zc.offset(t)), &cache)
	}
	if g.lin != nil {
		p := g.lin
		za := p.attemptLogit(g.nDone + 1)
		zPrev := p.prevLogit(s.last)
		g.ePrev = grow(g.ePrev, g.n)
		for j := 0; j < g.n; j++ {
			g.ePrev[j] = math.Exp(-p.prevLogit(g.slots[j].civ))
		}
		for j := 0; j < g.n; j++ {
			u := p.slotLogit(&g.slots[j].x)
			g.u[j], g.eU[j] = u, math.Exp(-u)
			x := g.slots[j].x
			pairFeatures(&x, &g.slots[j], g.at(j), s.lastT, s.last)
			z := p.base + u + za + p.coef[tHLast]*x[tHLast] + p.coef[tWithinDay]*x[tWithinDay] + p.coef[tTwoFridays]*x[tTwoFridays] + zPrev
			for a := 0; a < numAnchors; a++ {
				z += p.coef[tCrossedLast+a] * x[tCrossedLast+a]
			}
			g.zFirst[j], g.pFirst[j] = z, sigmoid(z)
		}
	} else {
		for j := 0; j < g.n; j++ {
			g.pFirst[j] = g.prob(-1, j, g.nDone+1)
			g.zFirst[j] = math.Log(g.pFirst[j] / (1 - g.pFirst[j]))
		}
	}
	return g
}

func (g *grid) at(j int) time.Time { return g.start.Add(time.Duration(j) * time.Hour) }

// rowAt writes the full feature row of attempt n at slot j after a failed
// attempt at slot prev (-1: the Case's real last attempt).
func (g *grid) rowAt(prev, j, n int, dst []float64) {
	var s staticPart
	if g.lin != nil {
		s = g.lin.s
	} else {
		s = computeStatic(g.c)
	}
	copy(dst, s.x)
	x := g.slots[j].x
	attemptFeatures(&x, n)
	prevT, prevC := s.lastT, s.last
	if prev >= 0 {
		prevT, prevC = g.at(prev), g.slots[prev].civ
	}
	pairFeatures(&x, &g.slots[j], g.at(j), prevT, prevC)
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
		return g.pFirst[j]
	}
	if g.lin == nil {
		g.rowAt(prev, j, n, g.row)
		return g.sc.Score(g.row)
	}
	p := g.lin
	q := g.eBase * g.eU[j] * g.attemptFactor(n)
	prevDay := p.s.last.day
	if prev >= 0 {
		q *= g.eGap[j-prev] * g.ePrev[prev]
		prevDay = g.slots[prev].civ.day
	} else {
		q *= math.Exp(-p.gapLogit(g.at(j).Sub(p.s.lastT)) - p.prevLogit(p.s.last))
	}
	for a := 0; a < numAnchors; a++ {
		if g.slots[j].anchor[a] > prevDay {
			q *= g.eCross[a]
		}
	}
	if g.slots[j].anchor[anchorFriday]-7 > prevDay {
		q *= g.eTwoFri
	}
	return 1 / (1 + q)
}

// buildCrossTable fills dayIdx and crossTab.
func (g *grid) buildCrossTable() {
	g.dayIdx = grow(g.dayIdx, g.n)
	var firstSlot []int // first slot of each day
	for j := 0; j < g.n; j++ {
		if j == 0 || g.slots[j].civ.day != g.slots[j-1].civ.day {
			firstSlot = append(firstSlot, j)
		}
		g.dayIdx[j] = len(firstSlot) - 1
	}
	d := len(firstSlot)
	g.crossTab = grow(g.crossTab, d)
	for di := range g.crossTab {
		g.crossTab[di] = grow(g.crossTab[di], d)
		prevDay := g.slots[firstSlot[di]].civ.day
		for dj := range d {
			an := &g.slots[firstSlot[dj]].anchor
			f := 1.0
			for a := 0; a < numAnchors; a++ {
				if an[a] > prevDay {
					f *= g.eCross[a]
				}
			}
			if an[anchorFriday]-7 > prevDay {
				f *= g.eTwoFri
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
		if j > 0 && g.slots[j].civ.day != g.slots[j-1].civ.day {
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
	return union(states, early)
}
