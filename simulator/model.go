package simulator

import (
	"fmt"
	"math"
	"time"
	_ "time/tzdata" // worlds name IANA zones; do not depend on the host's tz database
)

// Cause is a hidden decline cause.
type Cause int

const (
	CauseFunds Cause = iota
	CauseHold
	CauseTechnical
	CauseHard
	CauseCardData
	numCauses
)

func (c Cause) String() string { return CauseNames[c] }

// Model is a validated world compiled for fast draws: cumulative tables
// and loaded time zones. It is read-only and safe for concurrent use.
type Model struct {
	W     *World
	start time.Time

	countries  []countryModel
	countryCum []float64
	fundingCum []float64 // over Fundings
	networkCum []float64 // over Networks
	planCum    []float64

	reasonCum [3][]float64 // by funding, over Reasons
	codes     [][]string   // by reason
	codeCum   [][]float64
	causeGivR [][numCauses]float64 // by reason
	causeCum  [][]float64
	advice    [numCauses][]string
	adviceP   [numCauses][]float64
	adviceCum [numCauses][]float64

	frailty    []float64 // values
	frailtyCum []float64 // shares
	// frailtyGivenFail is P(level | failed): decline odds scale with
	// frailty, so failing customers are frailer than the population.
	frailtyGivenFail []float64
}

type countryModel struct {
	Country
	loc      *time.Location
	variants []paydayVariant
	cum      []float64
}

// paydayVariant is one schedule with one phase.
type paydayVariant struct {
	schedule string
	phase    int
	share    float64
}

// Compile validates w and prepares it for drawing.
func Compile(w *World) (*Model, error) {
	if probs := w.Validate(); len(probs) > 0 {
		return nil, &WorldError{w.Name, probs}
	}
	m := &Model{W: w}
	m.start, _ = time.Parse(dateLayout, w.Start)
	shares := make([]float64, len(w.Countries))
	for i, c := range w.Countries {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("compile world: %w", err)
		}
		cm := countryModel{Country: c, loc: loc}
		var ps []float64
		for _, d := range c.Paydays {
			n := paydaySchedules[d.Schedule].phases
			for ph := 0; ph < n; ph++ {
				cm.variants = append(cm.variants, paydayVariant{d.Schedule, ph, d.Share / float64(n)})
				ps = append(ps, d.Share/float64(n))
			}
		}
		cm.cum = cumulative(ps)
		m.countries = append(m.countries, cm)
		shares[i] = c.Share
	}
	m.countryCum = cumulative(shares)
	m.fundingCum = cumulative(pick(w.Funding, Fundings))
	m.networkCum = cumulative(pick(w.Networks, Networks))
	ps := make([]float64, len(w.Plans))
	for i, p := range w.Plans {
		ps[i] = p.Share
	}
	m.planCum = cumulative(ps)
	for fi, f := range Fundings {
		m.reasonCum[fi] = cumulative(pick(w.DeclineMix[f], Reasons))
	}
	m.codes = make([][]string, len(Reasons))
	m.codeCum = make([][]float64, len(Reasons))
	m.causeGivR = make([][numCauses]float64, len(Reasons))
	m.causeCum = make([][]float64, len(Reasons))
	for ri, r := range Reasons {
		m.codes[ri] = sortedKeys(w.Codes[r])
		m.codeCum[ri] = cumulative(pick(w.Codes[r], m.codes[ri]))
		cg := pick(w.CauseGivenReason[r], CauseNames)
		copy(m.causeGivR[ri][:], cg)
		m.causeCum[ri] = cumulative(cg)
	}
	for c := range numCauses {
		m.advice[c] = sortedKeys(w.AdviceCodes[CauseNames[c]])
		m.adviceP[c] = pick(w.AdviceCodes[CauseNames[c]], m.advice[c])
		m.adviceCum[c] = cumulative(m.adviceP[c])
	}
	fs := make([]float64, len(w.Frailty))
	m.frailtyGivenFail = make([]float64, len(w.Frailty))
	tot := 0.0
	for i, l := range w.Frailty {
		m.frailty = append(m.frailty, l.Value)
		fs[i] = l.Share
		m.frailtyGivenFail[i] = l.Share * l.Value
		tot += l.Share * l.Value
	}
	for i := range m.frailtyGivenFail {
		m.frailtyGivenFail[i] /= tot
	}
	m.frailtyCum = cumulative(fs)
	return m, nil
}

func pick(m map[string]float64, keys []string) []float64 {
	out := make([]float64, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// cure returns a cure cause's parameters.
func (m *Model) cure(c Cause) *CureCause {
	if c == CauseHold {
		return &m.W.Causes.Hold
	}
	return &m.W.Causes.Technical
}

// update returns an update cause's parameters.
func (m *Model) update(c Cause) *UpdateCause {
	if c == CauseHard {
		return &m.W.Causes.Hard
	}
	return &m.W.Causes.CardData
}

// cureSurvival is P(cure later than x hours) for a customer of frailty z:
// exponential with hazard ln2/halfLife divided by z.
func cureSurvival(halfLife, z, x float64) float64 {
	return math.Exp(-math.Ln2 / halfLife / z * x)
}

// hourFactor is a cure cause's time-of-day multiplier at a local hour.
func hourFactor(c *CureCause, localHour int) float64 {
	if c.LocalHourAmplitude == 0 {
		return 1
	}
	return 1 + c.LocalHourAmplitude*math.Cos(2*math.Pi*float64(localHour-c.PeakLocalHour)/24)
}
