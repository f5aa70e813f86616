package simulator

import "math"

// Randomness is keyed, not sequential: every draw of an invoice comes from
// a stream named by (seed, population, invoice, purpose), or from a single
// hashed uniform named by (seed, population, invoice, key). Two policies
// replayed on the same invoice therefore see the same world (common random
// numbers), whatever order invoices run in and whatever other draws a
// policy's choices cause.

// Stream purposes and noise key spaces.
const (
	purposeDraw     = 1 // the invoice's observable and hidden state
	purposeActivity = 2 // card activity
	purposeSimulate = 3 // simulate's own renewals

	noiseSameCard = 1 << 40 // + period index
	noiseNewCard  = 2 << 40 // + slot
)

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func key(seed, pop, inv, x uint64) uint64 {
	return mix64(mix64(mix64(seed^0x5851f42d4c957f2d)^pop*0x9e3779b97f4a7c15) ^ inv*0xd1b54a32d192ed03 ^ mix64(x))
}

// uniform returns the keyed uniform in [0, 1).
func uniform(seed, pop, inv, x uint64) float64 {
	return float64(key(seed, pop, inv, x)>>11) / (1 << 53)
}

// stream is a splitmix64 generator; it satisfies math/rand/v2's Source.
type stream struct{ s uint64 }

func newStream(seed, pop, inv, purpose uint64) stream {
	return stream{key(seed, pop, inv, purpose)}
}

func (r *stream) Uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

func (r *stream) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// exp returns an Exp(1) draw.
func (r *stream) exp() float64 { return -math.Log(1 - r.Float64()) }

// pick draws an index from a cumulative distribution.
func (r *stream) pick(cum []float64) int {
	u := r.Float64() * cum[len(cum)-1]
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

func cumulative(ps []float64) []float64 {
	out := make([]float64, len(ps))
	s := 0.0
	for i, p := range ps {
		s += p
		out[i] = s
	}
	return out
}
