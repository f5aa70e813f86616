package backtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// clustered is a population of customers with k invoices each, recovered
// with chance p, and its anchored values (the candidate predicted as the
// logged preset, so each invoice's corrected outcome is its observed
// one). With shared, a customer's invoices share one outcome; otherwise
// each draws its own. anon leaves the customers unnamed: each invoice its
// own cluster, the invoice bootstrap.
func clustered(customers, k int, p float64, shared, anon bool, seed uint64) (pop []Invoice, x []Expected, anchor []outcome) {
	r := rand.New(rand.NewPCG(seed, 1))
	for c := range customers {
		rec := r.Float64() < p
		for j := range k {
			if !shared {
				rec = r.Float64() < p
			}
			inv := Invoice{ID: fmt.Sprintf("in_%d_%d", c, j), Amount: 100, Recovered: rec}
			if !anon {
				inv.CustomerID = fmt.Sprintf("cus_%d", c)
			}
			pop = append(pop, inv)
			anchor = append(anchor, observed(&inv))
		}
	}
	return pop, make([]Expected, len(pop)), anchor
}

func width(iv Interval) float64 { return iv.Hi - iv.Lo }

// The bootstrap draws customers: where a customer's invoices share their
// outcome its interval is about √k as wide as the invoice bootstrap's;
// where they do not, or each customer has one invoice, it is as wide.
func TestBootstrapResamplesCustomers(t *testing.T) {
	const b = 2000
	tests := []struct {
		name      string
		k         int
		shared    bool
		ratio     float64 // cluster width over invoice width, expected
		tolerance float64
	}{
		{"four invoices sharing an outcome", 4, true, 2, 0.12},
		{"nine invoices sharing an outcome", 9, true, 3, 0.12},
		{"four independent invoices", 4, false, 1, 0.08},
		{"one invoice each", 1, true, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			customers := 3600 / tt.k
			pop, x, anchor := clustered(customers, tt.k, 0.4, tt.shared, false, 7)
			anonPop, _, _ := clustered(customers, tt.k, 0.4, tt.shared, true, 7)
			c, _, _ := bootstrap(pop, x, nil, x, anchor, false, b, 3)
			inv, _, _ := bootstrap(anonPop, x, nil, x, anchor, false, b, 3)
			if c.RecoveredPct.Est != inv.RecoveredPct.Est {
				t.Fatalf("estimates differ: %v and %v", c.RecoveredPct.Est, inv.RecoveredPct.Est)
			}
			ratio := width(c.RecoveredPct) / width(inv.RecoveredPct)
			t.Logf("width ratio %.3f", ratio)
			if math.Abs(ratio/tt.ratio-1) > tt.tolerance {
				t.Errorf("cluster interval %+v, invoice interval %+v: width ratio %.3f, want %.2f within %.0f%%",
					c.RecoveredPct, inv.RecoveredPct, ratio, tt.ratio, 100*tt.tolerance)
			}
			// The same seed gives the same interval.
			again, _, _ := bootstrap(pop, x, nil, x, anchor, false, b, 3)
			if again != c {
				t.Errorf("seed 3 twice: %+v and %+v", c, again)
			}
		})
	}
}

func TestClusters(t *testing.T) {
	pop := []Invoice{{CustomerID: "a"}, {CustomerID: "b"}, {}, {CustomerID: "a"}, {}, {CustomerID: "b"}, {CustomerID: "c"}}
	got := fmt.Sprint(clusters(pop))
	if want := "[[0 3] [1 5] [2] [4] [6]]"; got != want {
		t.Errorf("clusters = %s, want %s (by customer in order of first invoice; no customer, own cluster)", got, want)
	}
}
