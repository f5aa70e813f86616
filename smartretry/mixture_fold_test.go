package smartretry

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The chunks' minima the search bounds with are the least of their
// slots' survivals, for random mixtures, zones (changes of the clocks
// included), first failures and grids: the cure minima equal the least
// over the slots' local hours, the onsets lifted by the chunk's slots lie
// within its range, the funds minima and reminder factors are no more
// than any slot's.
func TestMixtureChunkMinimaAreTheSlots(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for trial := 0; trial < 300; trial++ {
		m := randomMixture(r, trial%3*2)
		f := newMixFold(m)
		loc, _ := location(workloadZones[r.IntN(len(workloadZones))])
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
		start := ceilFrom(first, first.Add(time.Duration(r.IntN(72*60))*time.Minute))
		n := 24*(3+r.IntN(12)) + r.IntN(24)
		dep := payDeposits(loc, first, start.Add(time.Duration(n)*time.Hour), m.DepositHour)
		pts := make([]point, n)
		from := r.IntN(30)
		dep.grid(pts, start, first, from)
		s := search{f: f, pts: pts, from: from, rho: make([]float64, n)}
		for j := range s.rho {
			s.rho[j] = float64(j+1) / float64(n)
		}
		s.chunkMins(true)
		for u := from / chunkSlots; u < len(s.chunks); u++ {
			cm := &s.chunks[u]
			lo, hi := max(u*chunkSlots, from), min(n, (u+1)*chunkSlots)
			var cu [numCures]float64
			for j := lo; j < hi; j++ {
				for c := range cu {
					x := min(f.post[pts[j].band][c][0], f.post[pts[j].band][c][1])
					if j == lo || x < cu[c] {
						cu[c] = x
					}
				}
				if on := int(pts[j].on); on < cm.onLo || on > cm.onHi {
					t.Fatalf("trial %d chunk %d slot %d: lifted onsets %d outside the chunk's %d–%d", trial, u, j, on, cm.onLo, cm.onHi)
				}
				for q := 0; q < numSched; q++ {
					if x := f.surv[pts[j].fcell[q]]; cm.np[q] > x {
						t.Fatalf("trial %d chunk %d slot %d: funds minimum %g of schedule %d above the slot's %g", trial, u, j, cm.np[q], q, x)
					}
				}
				if cm.rho > s.rho[j] {
					t.Fatalf("trial %d chunk %d slot %d: reminder minimum %g above the slot's %g", trial, u, j, cm.rho, s.rho[j])
				}
			}
			if cu != cm.cx {
				t.Fatalf("trial %d (%s, first %v) chunk %d (slots %d–%d): cure minima %v, want %v", trial, loc, first, u, lo, hi-1, cm.cx, cu)
			}
		}
	}
}

// The search's lower bound of a chunk (bound) is no more than the loss of
// any of the chunk's slots in the segment: neither the approximate loss
// the first pass ranks by (funds + restBy, as spanLoss works it out, the
// regrouped terms carried from slot to slot of the chunk) nor the exact
// one, 1 − value. Random mixtures (some with activity rates, some with
// hazards on few levels, some with many at minHazard and maxHazard),
// state posteriors, zones, grids, reminder values and chosen slots; every
// gap of the chosen slots and every chunk in it.
func TestMixtureSearchBoundIsBelowLoss(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	checked := 0
	for trial := 0; trial < 200; trial++ {
		m := randomMixture(r, trial%3*2)
		if trial%4 == 3 {
			clampSome(r, m)
		}
		f := newMixFold(m)
		if !f.ok {
			t.Fatalf("trial %d: a random mixture's hazards are not all in [0, 1]", trial)
		}
		pts, from, last, loc, first := randomGrid(r, m, 3, 12)
		s := randomSearch(r, m, f, &last, pts, from)
		s.chunkMins(true)
		s.eachRandomGap(r, 5, func(chosen []int, pos, lo, hi int, sg *segment) {
			for u := lo / chunkSlots; u <= hi/chunkSlots; u++ {
				bound := s.bound(sg, &s.chunks[u])
				cr := cureRest{key: -1}
				for j := max(lo, u*chunkSlots); j <= min(hi, u*chunkSlots+chunkSlots-1); j++ {
					p := &pts[j]
					approx := s.remind * s.rho[j] * (sg.funds(p, f) + sg.restBy(p, f, s.P, &cr))
					exact := 1 - s.value(chosen, j, pos)
					if !(bound <= approx) || !(bound <= exact+1e-15) {
						t.Fatalf("trial %d (%s, first %v), chosen %v, gap %d, chunk %d, slot %d: bound %.17g above the loss %.17g (exact %.17g)",
							trial, loc, first, chosen, pos, u, j, bound, approx, exact)
					}
					checked++
				}
			}
		})
	}
	t.Logf("%d slots checked", checked)
}

// randomSearch is a search over pts from slot from with a random state
// posterior (the prior of random classes, each state weighed at random as
// failures and activity would) and a random discount.
func randomSearch(r *rand.Rand, m *Mixture, f *mixFold, last *point, pts []point, from int) *search {
	cls := make([]float64, NumClasses)
	for k := range cls {
		cls[k] = r.ExpFloat64()
	}
	post := m.statePrior(nil, cls)
	var z float64
	for q := range post {
		post[q] *= r.Float64()
		z += post[q]
	}
	for q := range post {
		post[q] /= z
	}
	rv := []float64{0, 0.0005, 0.003, 0.02}[r.IntN(4)]
	n := len(pts)
	s := &search{f: f, post: post, last: last, pts: pts, from: from, spacing: 1,
		rho: make([]float64, n), surv: make([]float64, NumStates)}
	for j := range s.rho {
		s.rho[j] = math.Exp(-rv * float64(n-1-j))
	}
	return s
}

// eachRandomGap chooses fewer than maxChosen slots at random, takes their
// survival, and calls fn with each non-empty gap around them: the chosen
// slots, the gap's position among them, its first and last slot and its
// segment.
func (s *search) eachRandomGap(r *rand.Rand, maxChosen int, fn func(chosen []int, pos, lo, hi int, sg *segment)) {
	n := len(s.pts)
	var chosen []int
	for k := r.IntN(maxChosen); k > 0; k-- {
		if j := s.from + r.IntN(n-s.from); !slices.Contains(chosen, j) {
			chosen = append(chosen, j)
		}
	}
	slices.Sort(chosen)
	s.survival(chosen)
	var sg segment
	for pos := 0; pos <= len(chosen); pos++ {
		lo, hi := s.from, n-1
		if pos > 0 {
			lo = max(lo, chosen[pos-1]+1)
		}
		if pos < len(chosen) {
			hi = chosen[pos] - 1
		}
		if lo > hi {
			continue
		}
		s.segmentAt(&sg, chosen, pos)
		fn(chosen, pos, lo, hi, &sg)
	}
}

// randomGrid is the grid of a random mixture's search: a first failure
// at a random minute of 2026 in a random workload zone, a last attempt
// up to 60 hours after it, and hourly points from the hour after that,
// minDays to minDays+spanDays-1 days of them and up to a day more,
// walked from a random slot among the first 30.
func randomGrid(r *rand.Rand, m *Mixture, minDays, spanDays int) (pts []point, from int, last point, loc *time.Location, first time.Time) {
	loc, _ = location(workloadZones[r.IntN(len(workloadZones))])
	first = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
	lastAt := first.Add(time.Duration(r.IntN(60*60)) * time.Minute)
	start := ceilFrom(first, lastAt.Add(time.Hour))
	n := 24*(minDays+r.IntN(spanDays)) + r.IntN(24)
	dep := payDeposits(loc, first, start.Add(time.Duration(n)*time.Hour), m.DepositHour)
	pts = make([]point, n)
	from = r.IntN(min(30, n))
	dep.grid(pts, start, first, from)
	return pts, from, dep.at(lastAt, first), loc, first
}
