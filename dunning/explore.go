package dunning

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// DefaultExploreRate is the share of retries moved to a uniformly random
// allowed hour of the window, so that logged histories cover times the
// policy would not choose and can be evaluated off-policy.
const DefaultExploreRate = 0.05

// exploreSlot is one candidate hour.
type choice struct {
	At         time.Time
	Source     domain.RetrySource
	Propensity float64
}

// explore decides, deterministically for (seed, invoice, attempt), whether
// this retry explores. The window is n hourly slots from first; def is
// the policy's choice. The propensity is the probability that the mixed
// policy (1-rate: def; rate: a uniform slot) picks the returned hour slot.
func explore(rate float64, seed uint64, invoiceID string, attempt int, def choice, first time.Time, n int) choice {
	if rate <= 0 || n <= 0 {
		def.Propensity = 1
		return def
	}
	h := fnv.New64a()
	h.Write([]byte(invoiceID))
	h.Write([]byte{'/'})
	h.Write([]byte(strconv.Itoa(attempt)))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	defSlot := -1
	if !def.At.Before(first) {
		if i := int(def.At.Sub(first) / time.Hour); i < n {
			defSlot = i
		}
	}
	base := def.Propensity
	if base <= 0 {
		base = 1
	}
	if r.Float64() >= rate {
		def.Propensity = (1 - rate) * base
		if defSlot >= 0 {
			def.Propensity += rate / float64(n)
		}
		return def
	}
	i := r.IntN(n)
	p := rate / float64(n)
	if i == defSlot {
		p += (1 - rate) * base
	}
	return choice{At: first.Add(time.Duration(i) * time.Hour), Source: domain.SourceExplore, Propensity: p}
}
