package smartretry

import (
	"math/rand/v2"
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
