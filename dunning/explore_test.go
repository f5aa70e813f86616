package dunning

import (
	"math"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

func TestExplorePropensities(t *testing.T) {
	first := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	def := choice{At: first.Add(3*time.Hour + 20*time.Minute), Source: domain.SourceSchedule, Propensity: 1}
	if c := explore(0, 1, "in_1", 2, def, first, 10); c.Propensity != 1 || c.At != def.At {
		t.Fatalf("rate 0: %+v", c)
	}
	explored, kept := 0, 0
	for seed := range uint64(2000) {
		c := explore(0.5, seed, "in_1", 2, def, first, 10)
		switch {
		case c.Source == domain.SourceExplore && c.At.Equal(first.Add(3*time.Hour)):
			explored++
			if math.Abs(c.Propensity-0.55) > 1e-12 {
				t.Fatalf("explored into the default's slot: propensity %v, want 0.55", c.Propensity)
			}
		case c.Source == domain.SourceExplore:
			explored++
			if math.Abs(c.Propensity-0.05) > 1e-12 || c.At.Sub(first)%time.Hour != 0 || c.At.Before(first) || !c.At.Before(first.Add(10*time.Hour)) {
				t.Fatalf("explored choice %+v", c)
			}
		default:
			kept++
			if c.At != def.At || math.Abs(c.Propensity-0.55) > 1e-12 {
				t.Fatalf("kept choice %+v, want the default with propensity 0.55", c)
			}
		}
		if again := explore(0.5, seed, "in_1", 2, def, first, 10); again != c {
			t.Fatalf("seed %d: not deterministic: %+v vs %+v", seed, c, again)
		}
	}
	if explored < 900 || explored > 1100 {
		t.Fatalf("%d of 2000 explored at rate 0.5", explored)
	}
}
