package smartretry

import (
	"math"
	"testing"
	"time"
)

// Retries within ProbeWindow of the first failure are not counted by the
// attempt-number features; every other attempt is.
func TestCaseCounted(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	at := func(hours ...float64) []Attempt {
		out := []Attempt{{At: t0, DeclineCode: "insufficient_funds"}}
		for _, h := range hours {
			out = append(out, Attempt{At: t0.Add(time.Duration(h * float64(time.Hour))), DeclineCode: "insufficient_funds"})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		hours []float64
		want  int
	}{
		{"first failure only", nil, 1},
		{"one probe", []float64{1}, 1},
		{"probes then a day", []float64{1, 2, 3, 30}, 2},
		{"just inside the window", []float64{11.9}, 1},
		{"at the window's end", []float64{12}, 2},
		{"days apart", []float64{24, 48, 96}, 4},
	} {
		c := Case{Attempts: at(tc.hours...), Loc: time.UTC, Decision: t0.Add(100 * time.Hour)}
		if got := c.counted(); got != tc.want {
			t.Errorf("%s: counted %d, want %d", tc.name, got, tc.want)
		}
		row := make([]float64, len(lay.names))
		Row(&c, t0.Add(200*time.Hour), row)
		if got, want := row[lay.sEarly], math.Log1p(float64(len(c.Attempts)-tc.want)); got != want {
			t.Errorf("%s: early retries feature %v, want %v", tc.name, got, want)
		}
	}
}
