package readmodel

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOpsSortOrder checks the 8-bytes-at-a-time sort against
// bytes.Compare on keys built to tie: shared prefixes, zero bytes, keys
// that are prefixes of others, and lengths around multiples of 8.
func TestOpsSortOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"", "inv/i/customer\x00cus_", "inv/r/in_", "inv/i/all\x00\x00", "cp/invoices", "sub/r/", "\x00\x00\x00\x00\x00\x00\x00\x00"}
	for round := range 50 {
		var o ops
		o.reset()
		seen := map[string]bool{}
		var want [][]byte
		for range rng.IntN(3000) + 1 {
			k := []byte(prefixes[rng.IntN(len(prefixes))])
			for range rng.IntN(20) {
				k = append(k, "\x00\x01ab\xff"[rng.IntN(5)])
			}
			if seen[string(k)] {
				continue
			}
			seen[string(k)] = true
			want = append(want, k)
			o.add(k, fmt.Appendf(nil, "v%d", len(want)), rng.IntN(4) == 0)
		}
		slices.SortFunc(want, bytes.Compare)
		if got := keysInOrder(t, &o); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("round %d: order differs from bytes.Compare:\ngot  %q\nwant %q", round, got, want)
		}
	}
}

// TestOpsKeepValuesAcrossChunks checks keys and values survive the move
// to a new arena chunk and a reset.
func TestOpsKeepValuesAcrossChunks(t *testing.T) {
	var o ops
	for round := range 2 {
		o.reset()
		big := bytes.Repeat([]byte("x"), opsChunk+10) // larger than a chunk
		want := map[string]string{}
		for i := range 3000 {
			k, v := fmt.Sprintf("k%05d", i), fmt.Sprintf("%0800d", i)
			if i == 1500 {
				v = string(big)
			}
			want[k] = v
			o.set([]byte(k), []byte(v))
		}
		n := 0
		err := o.each(func(key, val []byte, del bool) error {
			if want[string(key)] != string(val) || del {
				return fmt.Errorf("round %d: %s = %.20q (del %v)", round, key, val, del)
			}
			n++
			return nil
		})
		if err != nil || n != len(want) {
			t.Fatalf("%v, %d of %d", err, n, len(want))
		}
	}
}

// keysInOrder is o's keys in the order each hands them out.
func keysInOrder(t *testing.T, o *ops) [][]byte {
	t.Helper()
	var got [][]byte
	if err := o.each(func(key, _ []byte, _ bool) error {
		got = append(got, bytes.Clone(key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
