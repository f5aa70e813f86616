package simulator

import (
	"context"
	"sort"
)

// SearchFixed finds a fixed schedule for a budget by coordinate ascent on
// a training population: starting from the evenly spaced schedule, each
// retry in turn moves to the hour (on a step-hour grid between its
// neighbours) that recovers the most training invoices, until a round
// changes nothing. Common random numbers make the comparisons paired.
func SearchFixed(ctx context.Context, m *Model, train []*Case, b Budget, step int) (*Fixed, error) {
	cur := EvenlySpaced(b)
	cur.Label = "fixed-search"
	rp := &Replayer{M: m}
	score := func(f *Fixed) int {
		n := 0
		for _, c := range train {
			if rp.Run(c, f, b).Recovered {
				n++
			}
		}
		return n
	}
	best := score(cur)
	for round := 0; round < 4; round++ {
		changed := false
		for i := range cur.Slots {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			lo, hi := 1, b.Hours()
			if i > 0 {
				lo = cur.Slots[i-1] + 1
			}
			if i+1 < len(cur.Slots) {
				hi = cur.Slots[i+1] - 1
			}
			orig := cur.Slots[i]
			bestSlot := orig
			for s := lo; s <= hi; s += step {
				if s == orig {
					continue
				}
				cur.Slots[i] = s
				if v := score(cur); v > best {
					best, bestSlot, changed = v, s, true
				}
			}
			cur.Slots[i] = bestSlot
		}
		if !changed {
			break
		}
	}
	sort.Ints(cur.Slots)
	return cur, nil
}
