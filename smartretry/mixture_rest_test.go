package smartretry

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// restPlain is the cure and dead classes' part of the loss's sum class
// by class, the reference restBy regroups.
func (sg *segment) restPlain(p *point, f *mixFold, P []float64) float64 {
	r := sg.dead
	on := int(p.on)
	sa, sb := b2i(p.block == sg.aBlk), 0
	if sg.hasB {
		sb = b2i(sg.bBlk == p.block)
	}
	x, cl := &f.post[p.band], &onsetClamp[on]
	for c := range sg.cu {
		u := &sg.cu[c]
		pc := P[cl[c]]
		r += u.ay[sb]*x[c][sa] + (pc-u.p1)*x[c][0]*u.g[sb] + (u.p2-pc)*u.pre
	}
	return r
}

// clampSome sets about a third of m's hazards to minHazard and a third
// to maxHazard, the limits a fitted mixture's hazards are clamped to.
func clampSome(r *rand.Rand, m *Mixture) {
	for c := range m.Hazard {
		switch r.IntN(3) {
		case 0:
			m.Hazard[c] = minHazard
		case 1:
			m.Hazard[c] = maxHazard
		}
	}
}

// The search's approximate loss with the cure classes' terms regrouped
// (restBy, whose terms carry over from slot to slot) is the plain sum's
// (restPlain) and the exact loss, 1 − value, within an absolute 1e-14.
// The largest difference here is 2.6e-15; with every mixture's hazards
// partly at the clamps the largest seen in 3,000 trials was 7.6e-15. The
// search needs much less: the best slot's approximate loss is within
// twice this error of the least, and the margin within which candidates
// are valued exactly has an absolute 1e-12 term, which alone covers
// errors up to about 4e-13 (doc.go). Random mixtures (some with activity
// rates, some with hazards on few levels, half with many at minHazard
// and maxHazard), state posteriors, zones (changes of the clocks
// included), grids, reminder values and chosen slots; every gap of the
// chosen slots and every slot in it, those sharing a day of the run with
// the attempt before or after them included.
func TestMixtureSearchRestByIsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	checked, worst := 0, 0.0
	for trial := 0; trial < 1000; trial++ {
		m := randomMixture(r, trial%3*2)
		if trial%2 == 1 {
			clampSome(r, m)
		}
		f := newMixFold(m)
		pts, from, last, loc, first := randomGrid(r, m, 1, 14)
		s := randomSearch(r, m, f, &last, pts, from)
		s.eachRandomGap(r, 9, func(chosen []int, pos, lo, hi int, sg *segment) {
			cr := cureRest{key: -1}
			for j := lo; j <= hi; j++ {
				p := &pts[j]
				by, rest := sg.restBy(p, f, s.P, &cr), sg.restPlain(p, f, s.P)
				loss := s.remind * s.rho[j] * (sg.funds(p, f) + by)
				exact := 1 - s.value(chosen, j, pos)
				e := max(math.Abs(by-rest), math.Abs(loss-exact))
				if !(e <= 1e-14) {
					t.Fatalf("trial %d (%s, first %v), chosen %v, gap %d, slot %d: rest %.17g regrouped %.17g, loss %.17g exact %.17g",
						trial, loc, first, chosen, pos, j, rest, by, loss, exact)
				}
				worst = max(worst, e)
				checked++
			}
		})
	}
	t.Logf("%d slots checked, the largest difference %.3g", checked, worst)
}

// fundsOf writes of's numbers for the funds and dead states, for random
// pairs of grid points of random mixtures.
func TestMixtureFundsOfIsOf(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	for trial := 0; trial < 50; trial++ {
		m := randomMixture(r, trial%3*2)
		f := newMixFold(m)
		loc, _ := location(workloadZones[r.IntN(len(workloadZones))])
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
		dep := payDeposits(loc, first, first.Add(15*24*time.Hour), m.DepositHour)
		pts := make([]point, 14*24)
		dep.grid(pts, ceilFrom(first, first.Add(time.Hour)), first, 0)
		for k := 0; k < 200; k++ {
			a, b := &pts[r.IntN(len(pts))], &pts[r.IntN(len(pts))]
			var x [stateOnset]float64
			f.fundsOf(&x, a, b)
			for q := range x {
				if want := f.of(q, a, b); x[q] != want {
					t.Fatalf("trial %d state %d: %v, of's %v", trial, q, x[q], want)
				}
			}
		}
	}
}
