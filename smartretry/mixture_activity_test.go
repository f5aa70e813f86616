package smartretry

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// holdSequences is a test world of issuer holds written with the time
// package alone: half the cards are dead, half are held until an onset
// uniform over the first eight days, then approve 60% of attempts. A held
// or dead card is presented elsewhere 0.2 times a day, a lifted one 3
// times a day.
func holdSequences(r *rand.Rand, n int, loc *time.Location) []MixtureSequence {
	cat, _ := categoryOf("try_again_later")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	var out []MixtureSequence
	for i := 0; i < n; i++ {
		first := base.Add(time.Duration(r.IntN(180*24)) * time.Hour)
		onset := math.Inf(1)
		if i%2 == 0 {
			onset = float64(1 + r.IntN(8*24))
		}
		s := MixtureSequence{Category: string(cat), Funding: string(domain.Credit), Country: "US", Loc: loc, First: first}
		// Activity over 14 days, by thinning at the live rate.
		for h := 0.0; ; {
			h += r.ExpFloat64() / (3.0 / 24)
			if h >= 14*24 {
				break
			}
			rate := 0.2
			if h >= onset {
				rate = 3
			}
			if r.Float64()*3 < rate {
				s.Activity = append(s.Activity, first.Add(time.Duration(h*float64(time.Hour))))
			}
		}
		h := 0
		for k := 0; k < 5; k++ {
			h += 12 + r.IntN(60)
			if h > 14*24 {
				break
			}
			s.Retries = append(s.Retries, first.Add(time.Duration(h)*time.Hour))
			if float64(h) >= onset && r.Float64() < 0.6 {
				s.Success = true
				break
			}
		}
		if len(s.Retries) > 0 {
			s.Activity = activityBefore(s.Activity, first, s.Retries[len(s.Retries)-1])
		} else {
			s.Activity = nil
		}
		out = append(out, s)
	}
	return out
}

// EM learns that lifted holds are busy and held or dead cards quiet, and
// a card presented elsewhere since a failure makes a retry more hopeful
// than one that stayed quiet.
func TestMixtureLearnsCardActivity(t *testing.T) {
	m, loc := fitNewYork(t, holdSequences, 7, 8, 4000, MixtureOptions{Iterations: 25, DepositHours: []int{0}})
	if m.Activity == nil || m.CureOnset == nil {
		t.Fatal("fitted without activity")
	}
	quiet, live, dead := 24*m.Activity[actQuiet], 24*m.Activity[actLive], 24*m.Activity[actDead]
	t.Logf("activity per day: quiet %.2f, live %.2f, dead %.2f", quiet, live, dead)
	if live < 2 || live > 4 || quiet > 0.6 || dead > 0.6 {
		t.Errorf("activity per day: lifted holds %.2f (want about 3), held %.2f and dead %.2f (want about 0.2)", live, quiet, dead)
	}
	failed := time.Date(2026, 7, 20, 10, 0, 0, 0, loc)
	c := Case{Amount: 5000, Network: domain.Visa, Funding: domain.Credit, Country: "US", Loc: loc,
		Attempts: []Attempt{{At: failed, DeclineCode: "try_again_later"}, {At: failed.Add(48 * time.Hour), DeclineCode: "try_again_later"}},
		Decision: failed.Add(72 * time.Hour)}
	p := NewMixturePlanner(m, nil, nil)
	quietPost := p.Posterior(&c)
	for h := 50; h < 72; h += 4 {
		c.Activity = append(c.Activity, failed.Add(time.Duration(h)*time.Hour))
	}
	busyPost := p.Posterior(&c)
	if busyPost[classDead] >= quietPost[classDead]/2 {
		t.Errorf("dead class %.3f after six presentations in a day, %.3f after none: want it at least halved", busyPost[classDead], quietPost[classDead])
	}

	// A hold's chance depends on whether it has lifted: an attempt before
	// the lift rarely succeeds, one after it about 60% of the time, and
	// the card coming alive moves the cure classes' weight to onsets
	// before the decision, so a retry then is likelier to succeed than the
	// class weights alone would say.
	var pre, post, postW float64
	for k := 0; k < numCures; k++ {
		pre = max(pre, m.Hazard[cellCure+k*cureCells])
	}
	for k := 0; k < numCures; k++ {
		for band := 0; band < numBands; band++ {
			post += m.Hazard[cureCell(k, band, false)]
			postW++
		}
	}
	if post /= postW; pre > 0.05 || post < 0.3 {
		t.Errorf("cure chances: at most %.3f before a lift (want about 0), %.3f after on average (want about 0.6)", pre, post)
	}
	liftedShare := func(c *Case) (lifted, chance float64) {
		first := c.first().At
		dep := payDeposits(loc, first, c.Decision, m.DepositHour)
		st, _ := p.posterior(nil, c, dep, p.fold(), newActSum())
		at := dep.at(c.Decision, first)
		var cure float64
		for j := 0; j <= numOnset; j++ {
			cure += st[stateOnset+j]
			if j < int(at.on) {
				lifted += st[stateOnset+j]
			}
		}
		return lifted / cure, m.Chance(c, c.Decision)
	}
	busyLifted, busyChance := liftedShare(&c)
	c.Activity = nil
	quietLifted, quietChance := liftedShare(&c)
	t.Logf("cure weight lifted by the decision: %.2f after activity, %.2f without; chance %.3f and %.3f", busyLifted, quietLifted, busyChance, quietChance)
	if busyLifted < 0.8 || quietLifted > 0.5 || busyChance < 2*quietChance {
		t.Errorf("cure weight lifted by the decision %.2f after activity and %.2f without, chance %.3f and %.3f: want ≥ 0.8, ≤ 0.5, and the chance at least doubled", busyLifted, quietLifted, busyChance, quietChance)
	}

	// Without activity in the fit, the same model ignores it.
	m0, err := FitMixture(context.Background(), holdSequences(rand.New(rand.NewPCG(7, 8)), 2000, loc), MixtureOptions{Iterations: 10, DepositHours: []int{0}, IgnoreActivity: true})
	if err != nil {
		t.Fatal(err)
	}
	if m0.Activity != nil {
		t.Error("IgnoreActivity fitted activity rates")
	}
}

// A draw past a row's total (its rounding leftover) lands on the class's
// own last onset, not on the slowest class's never.
func TestDrawOnsetStaysInClass(t *testing.T) {
	pi := initialOnset()
	J := numOnset + 1
	for c := 0; c < numCures; c++ {
		row := pi[c*J : (c+1)*J]
		for _, u := range []float64{0, 0.5, 1 - 1e-12, 1, 1.5} {
			j := drawOnset(row, u)
			if j < 0 || row[j] == 0 || int(onsetClass[j]) != c {
				t.Errorf("class %s, u %v: onset %d (weight %v)", ClassName(classCureFast+c), u, j, row[max(j, 0)])
			}
		}
		last := onsetHi[c] - 1
		for row[last] == 0 {
			last--
		}
		if j := drawOnset(row, 1); j != last {
			t.Errorf("class %s: the leftover went to onset %d, want its last of any weight, %d", ClassName(classCureFast+c), j, last)
		}
	}
}

// weighActivity weighs as the planner's fold does, from the logarithms
// the model keeps with its version, without allocating; a mixture whose
// rates were replaced after its version is weighed by the new rates.
func TestWeighActivitySharesTheModelsLogs(t *testing.T) {
	m, c, dep, first, end, prior := activityCase(rand.New(rand.NewPCG(61, 62)))
	w := append([]float64(nil), prior...)
	weighActivity(m, w, dep, first, end, c.Activity)
	v := append([]float64(nil), prior...)
	newMixFold(m).weighActivity(v, dep, first, end, c.Activity, newActSum())
	if !slices.Equal(w, v) {
		t.Fatalf("weights %v, the fold's %v", w, v)
	}
	if a := testing.AllocsPerRun(20, func() { weighActivity(m, w, dep, first, end, c.Activity) }); a != 0 {
		t.Errorf("weighActivity allocates %v times a call", a)
	}
	// Rates replaced after the version: their own logarithms weigh.
	m.Activity = slices.Clone(m.Activity)
	for i := range m.Activity {
		m.Activity[i] *= 2
	}
	x := append([]float64(nil), prior...)
	weighActivity(m, x, dep, first, end, c.Activity)
	y := append([]float64(nil), prior...)
	weighActivityBy(m.Activity, logRates(m.Activity), y, dep, first, end, c.Activity, newActSum())
	if !slices.Equal(x, y) {
		t.Fatalf("after new rates: weights %v, want %v", x, y)
	}
}

// A fold weighs with the rates and logarithms it was built with, taken
// together: replacing the mixture's Activity after the fold was built
// (the planner keys its fold by the *Mixture alone) neither pairs the
// new rates with the old logarithms nor changes the fold's weights.
func TestMixtureFoldKeepsItsActivitySnapshot(t *testing.T) {
	m, c, dep, first, end, prior := activityCase(rand.New(rand.NewPCG(63, 64)))
	old := m.Activity
	f := newMixFold(m)
	want := append([]float64(nil), prior...)
	weighActivityBy(old, logRates(old), want, dep, first, end, c.Activity, newActSum())

	m.Activity = slices.Clone(old)
	for i := range m.Activity {
		m.Activity[i] *= 3
	}
	got := append([]float64(nil), prior...)
	f.weighActivity(got, dep, first, end, c.Activity, newActSum())
	if !slices.Equal(got, want) {
		t.Fatalf("fold after Activity was replaced: weights %v, want its snapshot's %v", got, want)
	}
	// The new rates weigh differently, so the check above can fail.
	fresh := append([]float64(nil), prior...)
	newMixFold(m).weighActivity(fresh, dep, first, end, c.Activity, newActSum())
	if slices.Equal(fresh, want) {
		t.Fatalf("tripled rates weigh as the old ones: %v", fresh)
	}
}

// activityCase is a random mixture with activity rates, and a case with
// six card-activity events in the 72 hours from its first failure, with
// its pay deposits over them and the mixture's prior over the states.
func activityCase(r *rand.Rand) (m *Mixture, c Case, dep *deposits, first, end time.Time, prior []float64) {
	m = randomMixture(r, 0)
	for m.Activity == nil {
		m = randomMixture(r, 0)
	}
	c = WorkloadCase(r)
	first = c.first().At
	end = first.Add(72 * time.Hour)
	for k := 0; k < 6; k++ {
		c.Activity = append(c.Activity, first.Add(time.Duration(r.IntN(72*60))*time.Minute))
	}
	sortTimes(c.Activity)
	return m, c, payDeposits(c.Loc, first, end, m.DepositHour), first, end, m.statePrior(nil, m.GlobalPrior)
}
