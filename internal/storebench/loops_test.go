package storebench

import (
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	future, past := time.Now().Add(time.Hour), time.Now().Add(-time.Second)
	cases := []struct {
		b    Budget
		done int
		want bool
	}{
		{Budget{}, 0, false},
		{Budget{Events: 3}, 2, true},
		{Budget{Events: 3}, 3, false},
		{Budget{Deadline: future}, 1 << 30, true},
		{Budget{Deadline: past}, 0, false},
		{Budget{Events: 5, Deadline: future}, 5, false},
	}
	for _, c := range cases {
		if got := c.b.more(c.done); got != c.want {
			t.Errorf("%+v.more(%d) = %v, want %v", c.b, c.done, got, c.want)
		}
	}
}

func TestEventSize(t *testing.T) {
	for _, i := range []int{0, 7, 123456789} {
		if n := len(Event(i).Data); n < EventSize-10 || n > EventSize+10 {
			t.Fatalf("event %d has %d bytes of data, want about %d", i, n, EventSize)
		}
	}
}
