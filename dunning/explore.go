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
// this retry explores. allowed lists the hourly slots of the window the
// network rules allow; def is the policy's choice. The propensity is the
// probability that the mixed policy (1-rate: def; rate: uniform slot)
// picks the returned hour slot.
func explore(rate float64, seed uint64, invoiceID string, attempt int, def choice, allowed []time.Time) choice {
	if rate <= 0 || len(allowed) == 0 {
		def.Propensity = 1
		return def
	}
	h := fnv.New64a()
	h.Write([]byte(invoiceID))
	h.Write([]byte{'/'})
	h.Write([]byte(strconv.Itoa(attempt)))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	n := float64(len(allowed))
	defSlot := -1
	for i, t := range allowed {
		if !def.At.Before(t) && def.At.Before(t.Add(time.Hour)) {
			defSlot = i
			break
		}
	}
	if r.Float64() >= rate {
		def.Propensity = 1 - rate
		if defSlot >= 0 {
			def.Propensity += rate / n
		}
		return def
	}
	i := r.IntN(len(allowed))
	p := rate / n
	if i == defSlot {
		p += 1 - rate
	}
	return choice{At: allowed[i], Source: domain.SourceExplore, Propensity: p}
}
