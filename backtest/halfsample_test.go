package backtest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A half sample holds half the customers, each once; and a mean over a
// random half differs from the mean over all by as much as the mean over
// all differs from the population's (s/√n), which is
// what lets a refit on a half sample stand for the deployed fit's error.
func TestHalfSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 1000} {
		d := halfSample(r, n)
		if len(d) != n/2 {
			t.Fatalf("n=%d: %d drawn, want %d", n, len(d), n/2)
		}
		seen := map[int]bool{}
		for _, j := range d {
			if j < 0 || j >= n || seen[j] {
				t.Fatalf("n=%d: draw %v repeats or leaves the range", n, d)
			}
			seen[j] = true
		}
	}
	const n, reps = 400, 4000
	x := make([]float64, n)
	var all float64
	for i := range x {
		x[i] = r.NormFloat64()
		all += x[i]
	}
	all /= n
	var s2 float64 // the sample's variance
	for _, v := range x {
		s2 += (v - all) * (v - all)
	}
	s2 /= n - 1
	var ss float64
	for range reps {
		var m float64
		for _, j := range halfSample(r, n) {
			m += x[j]
		}
		m /= n / 2
		ss += (m - all) * (m - all)
	}
	// Without replacement, a mean over m of n varies by s²(1/m − 1/n).
	got, want := math.Sqrt(ss/reps), math.Sqrt(s2/n)
	if math.Abs(got/want-1) > 0.05 {
		t.Errorf("half-sample means spread %.4f around the full mean, want about %.4f", got, want)
	}
}
