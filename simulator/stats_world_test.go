package simulator

import (
	"math"
	"testing"
)

// The default worlds must reproduce the public figures of facts.md (see
// datasets/worlds/SOURCES.md).

func TestFirstAttemptDeclineRate(t *testing.T) {
	ranges := map[string][2]float64{"b2c_us": {0.06, 0.18}, "b2b_global": {0.05, 0.14}} // Recurly
	for name, rg := range ranges {
		m := defaultWorld(t, name)
		p := &Population{M: m, Seed: 7, Pop: 9}
		r := newStream(7, 9, 0, 99)
		n, declined := 100000, 0
		for i := range n {
			if r.Float64() < m.DeclineProb(p.Customer(uint64(i))) {
				declined++
			}
		}
		rate := float64(declined) / float64(n)
		if rate < rg[0] || rate > rg[1] {
			t.Errorf("%s: first-attempt decline rate %.3f outside the public range %v", name, rate, rg)
		}
		t.Logf("%s: first-attempt decline rate %.4f", name, rate)
	}
}

func TestDeclineMixByFunding(t *testing.T) {
	// Recurly's table, rows renormalized where they do not sum to 100%.
	recurly := map[string]map[string]float64{
		"credit": {"generic": 51.7, "temporary_hold": 25.5, "insufficient_funds": 6.9, "fraud_stolen": 5.2, "invalid_number": 1.7, "invalid_transaction": 1.5, "other": 6.3},
		"debit":  {"generic": 37.8, "temporary_hold": 10.1, "insufficient_funds": 29.0, "fraud_stolen": 6.0, "invalid_number": 8.3, "invalid_transaction": 1.5, "other": 4.6},
	}
	for _, name := range []string{"b2c_us", "b2b_global"} {
		m := defaultWorld(t, name)
		p := &Population{M: m, Seed: 3, Pop: 1}
		count := map[string]map[string]float64{"credit": {}, "debit": {}}
		tot := map[string]float64{}
		for i := range 40000 {
			c := p.Case(uint64(i))
			f := string(c.Inv.Funding)
			if count[f] == nil {
				continue
			}
			count[f][c.Inv.Reason]++
			tot[f]++
		}
		for f, row := range recurly {
			sum := 0.0
			for _, v := range row {
				sum += v
			}
			for reason, v := range row {
				want := v / sum
				got := count[f][reason] / tot[f]
				se := math.Sqrt(want * (1 - want) / tot[f])
				if math.Abs(got-want) > 0.01+4*se {
					t.Errorf("%s %s %s: share %.3f, Recurly %.3f", name, f, reason, got, want)
				}
			}
		}
	}
}

func TestPaydayMixUS(t *testing.T) {
	bls := map[string]float64{"weekly_friday": 0.324, "biweekly_friday": 0.365, "semimonthly_15_last": 0.198, "monthly_last_business_day": 0.113}
	m := defaultWorld(t, "b2c_us")
	p := &Population{M: m, Seed: 5, Pop: 1}
	count, n := map[string]float64{}, 0.0
	for i := range 60000 {
		c := p.Customer(uint64(i))
		if c.Country != "US" {
			continue
		}
		count[m.PaydaySchedule(c)]++
		n++
	}
	for s, want := range bls {
		if got := count[s] / n; math.Abs(got-want) > 0.01 {
			t.Errorf("US %s share %.3f, BLS %.3f", s, got, want)
		}
	}
}

func TestFundingSplit(t *testing.T) {
	// Recurly: credit/debit 53/47 for B2C and 65/35 for B2B.
	for name, want := range map[string]float64{"b2c_us": 0.53, "b2b_global": 0.65} {
		m := defaultWorld(t, name)
		p := &Population{M: m, Seed: 5, Pop: 1}
		credit, debit := 0.0, 0.0
		for i := range 40000 {
			switch p.Customer(uint64(i)).Funding {
			case "credit":
				credit++
			case "debit":
				debit++
			}
		}
		if got := credit / (credit + debit); math.Abs(got-want) > 0.015 {
			t.Errorf("%s: credit share of credit+debit %.3f, Recurly %.2f", name, got, want)
		}
	}
}
