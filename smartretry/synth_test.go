package smartretry

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// A small synthetic world for the package's own tests: hidden causes
// with known success curves (a payday-driven funds shortfall that favours
// local midnight on debit cards, an issuer hold that cures over days, a
// technical error that cures in hours). It exercises features, fit and
// optimizer before and apart from the simulator; the simulator-based
// checks live in the simulator's and the CLI's tests.

type synthCase struct {
	c      Case
	cause  int // 0 funds, 1 hold, 2 technical
	payday int // funds: anchor kind of this customer's payday
	cure   float64
}

var synthZones = []string{"America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Tokyo"}

func newSynthCase(r *rand.Rand, base time.Time) synthCase {
	loc, _ := location(synthZones[r.IntN(len(synthZones))])
	s := synthCase{cause: r.IntN(3), payday: r.IntN(numAnchors), cure: 24 * (1 + 4*r.Float64())}
	codes := [][]string{{"insufficient_funds", "do_not_honor"}, {"do_not_honor", "generic_decline", "try_again_later"}, {"processing_error", "issuer_not_available", "generic_decline"}}
	code := codes[s.cause][r.IntN(len(codes[s.cause]))]
	fund := domain.Credit
	if r.Float64() < 0.5 {
		fund = domain.Debit
	}
	at := base.Add(time.Duration(r.IntN(60*24)) * time.Hour).Add(time.Duration(r.IntN(60)) * time.Minute)
	s.c = Case{Amount: int64(500 + r.IntN(20000)), Network: []domain.Network{domain.Visa, domain.Mastercard}[r.IntN(2)], Funding: fund, Country: "US", CardCountry: "US", Loc: loc,
		Attempts: []Attempt{{At: at, DeclineCode: code}}, Decision: at}
	return s
}

// truth is P(success) of an attempt at t for the synthetic case.
func (s *synthCase) truth(t time.Time) float64 {
	c := &s.c
	h := t.Sub(c.first().At).Hours()
	switch s.cause {
	case 0:
		ct := toCivil(t, c.Loc)
		la := lastAnchor(s.payday, ct)
		if la <= toCivil(c.first().At, c.Loc).day {
			return 0.03
		}
		since := ct.frac() - float64(la)
		p := 0.15 + 0.6*math.Exp(-since/3)
		if c.Funding == domain.Debit && ct.hour < 3 {
			p += 0.15
		}
		return math.Min(p, 0.95)
	case 1:
		return 0.7 * (1 - math.Exp(-h/s.cure))
	default:
		if h < 3 {
			return 0.2
		}
		return 0.75
	}
}

// synthRows simulates a random retry policy and returns training rows.
func synthRows(r *rand.Rand, invoices int) (cases []Case, times []time.Time, labels []float64) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < invoices; i++ {
		s := newSynthCase(r, base)
		t := s.c.first().At
		for a := 0; a < 4; a++ {
			t = t.Add(time.Duration(2+r.IntN(24*4)) * time.Hour)
			y := 0.0
			if r.Float64() < s.truth(t) {
				y = 1
			}
			cc := s.c
			cc.Attempts = append([]Attempt(nil), s.c.Attempts...)
			cc.Decision = cc.last().At
			cases, times, labels = append(cases, cc), append(times, t), append(labels, y)
			if y == 1 {
				break
			}
			s.c.Attempts = append(s.c.Attempts, Attempt{At: t, DeclineCode: s.c.last().DeclineCode})
		}
	}
	return
}

func synthMatrix(cases []Case, times []time.Time) Matrix {
	m := NewMatrix(len(cases), len(lay.names))
	for i := range cases {
		Row(&cases[i], times[i], m.Row(i))
	}
	return m
}
