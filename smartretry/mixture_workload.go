package smartretry

import (
	"context"
	"math/rand/v2"
	"time"
)

// WorkloadMixture fits a latent-class model on random failed invoices
// drawn from a teacher mixture (hazards near the fit's starting tables,
// random class priors by decline category, funding and country), for
// measuring planning speed (`recoup bench`, go test -bench) and for tests
// of other packages that need a fitted mixture. Like Workload it is a load
// generator, not a world.
func WorkloadMixture(ctx context.Context, seed uint64) (*Mixture, error) {
	r := rand.New(rand.NewPCG(seed, 0x6d6978))
	teach := &Mixture{DepositHour: 4, Hazard: make([]float64, numCells), Prior: map[string][]float64{}}
	for c := range teach.Hazard {
		teach.Hazard[c] = min(max(initialHazard(c)*(0.5+r.Float64()), minHazard), maxHazard)
	}
	onsets := initialOnset()
	const J = numOnset + 1
	var seqs []MixtureSequence
	for i := 0; i < 3000; i++ {
		c := WorkloadCase(r)
		cat, _ := categoryOf(c.first().DeclineCode)
		key := PriorKey(string(cat), string(c.Funding), c.Country)
		pr := teach.Prior[key]
		if pr == nil {
			pr = make([]float64, NumClasses)
			var z float64
			for k := range pr {
				pr[k] = r.ExpFloat64()
				z += pr[k]
			}
			for k := range pr {
				pr[k] /= z
			}
			teach.Prior[key] = pr
		}
		k, u := 0, r.Float64()
		for ; k < NumClasses-1; k++ {
			if u -= pr[k]; u < 0 {
				break
			}
		}
		// The class's state: a cure class's onset drawn from its window.
		st := k
		switch {
		case k == classDead:
			st = stateDead
		case k >= classCureFast:
			st = stateOnset + drawOnset(onsets[(k-classCureFast)*J:(k-classCureFast+1)*J], r.Float64())
		}
		first := c.first().At
		s := MixtureSequence{Category: string(cat), Funding: string(c.Funding), Country: c.Country, Loc: c.Loc, First: first}
		end := first.Add(14 * 24 * time.Hour)
		dep := payDeposits(c.Loc, first, end, teach.DepositHour)
		prev := dep.at(first, first)
		at := first
		for n := 0; n < 6; n++ {
			at = at.Add(time.Duration(1+r.IntN(60)) * time.Hour)
			if at.After(end) {
				break
			}
			cur := dep.at(at, first)
			s.Retries = append(s.Retries, at)
			if r.Float64() < teach.Hazard[cell(st, &prev, &cur)] {
				s.Success = true
				break
			}
			prev = cur
		}
		seqs = append(seqs, s)
	}
	return FitMixture(ctx, seqs, MixtureOptions{Iterations: 10, DepositHours: []int{teach.DepositHour}})
}

// drawOnset is the onset of a class's row (CureOnset's) that u, uniform
// in [0, 1), draws: a rounding leftover of u (the row summing to a
// little under 1) goes to the row's last onset of any weight, never to
// an onset of another class's window.
func drawOnset(row []float64, u float64) int {
	j := -1
	for i, v := range row {
		if v > 0 {
			j = i
			if u -= v; u < 0 {
				break
			}
		}
	}
	return j
}
