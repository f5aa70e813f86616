package smartretry

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Workload builds n training rows of random but well-formed Cases, with
// labels drawn from a fixed teacher model over the same features, for
// measuring fit and recommendation speed (`recoup bench`,
// go test -bench). It is a load generator, not a world: use the simulator
// for anything about recovery.
func Workload(n int, seed uint64) (Matrix, []float64) {
	r := rand.New(rand.NewPCG(seed, 0x776f726b))
	teacher := make([]float64, len(lay.names))
	for i := range teacher {
		teacher[i] = 0.4 * r.NormFloat64()
	}
	teacher[0] = -1
	x := NewMatrix(n, len(lay.names))
	y := make([]float64, n)
	var c Case
	var s staticPart
	for i := 0; i < n; i++ {
		if i%4 == 0 { // about four attempts per invoice
			c = WorkloadCase(r)
			s = computeStatic(&c)
		}
		t := c.last().At.Add(time.Duration(2+r.IntN(24*7)) * time.Hour)
		rowFrom(&s, &c, t, x.Row(i))
		if r.Float64() < sigmoid(dot(teacher, x.Row(i))) {
			y[i] = 1
		}
	}
	return x, y
}

var workloadCodes = []string{"insufficient_funds", "do_not_honor", "generic_decline", "processing_error", "try_again_later", "card_velocity_exceeded"}
var workloadZones = []string{"America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "America/Sao_Paulo", "Asia/Tokyo"}

// WorkloadCase is one random failed invoice for load generation.
func WorkloadCase(r *rand.Rand) Case {
	loc, _ := location(workloadZones[r.IntN(len(workloadZones))])
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
	c := Case{
		Amount: int64(math.Round(500 + 20000*r.Float64())), Network: networks[r.IntN(len(networks))], Funding: fundings[r.IntN(len(fundings))],
		Country: countries[r.IntN(len(countries))], Loc: loc,
		Attempts: []Attempt{{At: at, DeclineCode: workloadCodes[r.IntN(len(workloadCodes))]}}, Decision: at.Add(time.Minute),
	}
	c.CardCountry = c.Country
	for k := r.IntN(6); k > 0; k-- {
		c.Activity = append(c.Activity, at.Add(-time.Duration(r.IntN(72))*time.Hour))
	}
	sortTimes(c.Activity)
	if r.IntN(10) == 0 {
		c.PMUpdatedAt = at.Add(-time.Duration(r.IntN(24*90)) * time.Hour)
	}
	if c.Network == domain.Mastercard && r.IntN(5) == 0 {
		c.Attempts[0].AdviceCode = "02"
	}
	return c
}
