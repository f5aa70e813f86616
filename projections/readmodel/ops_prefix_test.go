package readmodel

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOpsSortSharedPrefix checks the sort, which starts past the prefix
// every key shares, on keys that share one of several lengths (the
// prefix itself among them, a key no longer than the shared part).
func TestOpsSortSharedPrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, prefix := range []string{"inv/r/in_000", "x", "inv/i/customer\x00cus_00000000\x00"} {
		for round := range 20 {
			var o ops
			o.reset()
			seen := map[string]bool{}
			var want [][]byte
			if round%2 == 0 {
				want = append(want, []byte(prefix))
				seen[prefix] = true
				o.set([]byte(prefix), []byte("p"))
			}
			for range rng.IntN(2000) + 1 {
				k := []byte(prefix)
				for range rng.IntN(12) {
					k = append(k, "\x000179\xff"[rng.IntN(6)])
				}
				if seen[string(k)] {
					continue
				}
				seen[string(k)] = true
				want = append(want, k)
				o.set(k, fmt.Appendf(nil, "v%d", len(want)))
			}
			slices.SortFunc(want, bytes.Compare)
			if got := keysInOrder(t, &o); !slices.EqualFunc(got, want, bytes.Equal) {
				t.Fatalf("prefix %q round %d: keys out of order", prefix, round)
			}
		}
	}
}
