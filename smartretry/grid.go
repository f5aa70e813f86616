package smartretry

import (
	"math"
	"sort"
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
	nDone   int // attempts already made

	// linear fast path: exp(-log-odds) factors
	eBase  float64
	eU, u  []float64
	eCross [numAnchors]float64
	eGap   []float64 // by whole hours between slots
	eAtt   []float64 // by attempt number - nDone - 1
	pFirst []float64 // P(success) of the next attempt at each slot
	zFirst []float64 // its log-odds (for ranking)

	row []float64 // scratch for the generic path
}

func newGrid(c *Case, sc Scorer, start, end time.Time) *grid {
	g := &grid{c: c, sc: sc, start: start, nDone: len(c.Attempts)}
	if !end.Before(start) {
		g.n = int(end.Sub(start)/time.Hour) + 1
	}
	g.slots = make([]slotPart, g.n)
	g.allowed = make([]bool, g.n)
	g.pFirst = make([]float64, g.n)
	g.zFirst = make([]float64, g.n)
	var s staticPart
	if l, ok := sc.(Linear); ok {
		p := prepare(l.Weights(), c)
		g.lin = &p
		s = p.s
		g.eU = make([]float64, g.n)
		g.u = make([]float64, g.n)
		g.eBase = math.Exp(-p.base)
		for a := 0; a < numAnchors; a++ {
			g.eCross[a] = math.Exp(-p.coef[tCrossedLast+a])
		}
		g.eGap = make([]float64, g.n+1)
		for h := range g.eGap {
			g.eGap[h] = math.Exp(-p.coef[tHLast] * gapFeature(time.Duration(h)*time.Hour))
		}
	} else {
		s = computeStatic(c)
		g.row = make([]float64, len(lay.names))
	}
	for j := 0; j < g.n; j++ {
		g.slots[j] = computeSlot(&s, g.at(j), c.Loc)
	}
	if g.lin != nil {
		p := g.lin
		za := p.attemptLogit(g.nDone + 1)
		for j := 0; j < g.n; j++ {
			u := p.slotLogit(&g.slots[j].x)
			g.u[j], g.eU[j] = u, math.Exp(-u)
			x := g.slots[j].x
			pairFeatures(&x, &g.slots[j], g.at(j), s.lastT, s.last.day)
			z := p.base + u + za + p.coef[tHLast]*x[tHLast]
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
	prevT, prevDay := s.lastT, s.last.day
	if prev >= 0 {
		prevT, prevDay = g.at(prev), g.slots[prev].civ.day
	}
	pairFeatures(&x, &g.slots[j], g.at(j), prevT, prevDay)
	copy(dst[lay.timeStart:], x[:])
	i := lay.crossStart
	for gr := 0; gr < numGroups; gr++ {
		for _, k := range crossed {
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
		q *= g.eGap[j-prev]
		prevDay = g.slots[prev].civ.day
	} else {
		q *= math.Exp(-p.coef[tHLast] * gapFeature(g.at(j).Sub(p.s.lastT)))
	}
	for a := 0; a < numAnchors; a++ {
		if g.slots[j].anchor[a] > prevDay {
			q *= g.eCross[a]
		}
	}
	return 1 / (1 + q)
}

// attemptFactor is exp(-attempt-number log-odds) of attempt n, cached.
func (g *grid) attemptFactor(n int) float64 {
	i := n - g.nDone - 1
	for len(g.eAtt) <= i {
		g.eAtt = append(g.eAtt, math.Exp(-g.lin.attemptLogit(g.nDone+1+len(g.eAtt))))
	}
	return g.eAtt[i]
}

// topPerDay keeps the allowed slots with the highest score in each local
// day: the optimizer's continuation states. Within one day the
// previous-attempt features barely change, so the best few hours by
// score carry the best schedule.
func (g *grid) topPerDay(score func(j int) float64, per int) []int {
	var out, day []int
	flush := func() {
		sort.Slice(day, func(a, b int) bool { return score(day[a]) > score(day[b]) })
		if len(day) > per {
			day = day[:per]
		}
		out = append(out, day...)
		day = day[:0]
	}
	for j := 0; j < g.n; j++ {
		if j > 0 && g.slots[j].civ.day != g.slots[j-1].civ.day {
			flush()
		}
		if g.allowed[j] {
			day = append(day, j)
		}
	}
	flush()
	sort.Ints(out)
	return out
}
