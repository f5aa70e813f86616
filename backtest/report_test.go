package backtest

import (
	"math"
	"testing"
)

func TestWiden(t *testing.T) {
	// Student's t 0.975 quantiles with refits−1 degrees of freedom.
	t1, t9, t19 := 12.706204736174698, 2.2621571627409915, 2.093024054408263
	tests := []struct {
		name   string
		iv     Interval
		sd     float64
		refits int
		lo, hi float64
	}{
		{"no sd", Interval{Est: 40, Lo: 39, Hi: 41}, 0, 20, 39, 41},
		// t × sd = 1: each side grows to √2.
		{"20 refits", Interval{Est: 40, Lo: 39, Hi: 41}, 1 / t19, 20, 40 - math.Sqrt2, 40 + math.Sqrt2},
		{"10 refits", Interval{Est: 40, Lo: 39, Hi: 41}, 1 / t9, 10, 40 - math.Sqrt2, 40 + math.Sqrt2},
		{"2 refits", Interval{Est: 40, Lo: 39, Hi: 41}, 1 / t1, 2, 40 - math.Sqrt2, 40 + math.Sqrt2},
		// The same sd widens less the more refits measured it.
		{"sd 1, 2 refits", Interval{Est: 40, Lo: 39, Hi: 41}, 1, 2, 40 - math.Hypot(1, t1), 40 + math.Hypot(1, t1)},
		{"sd 1, 10 refits", Interval{Est: 40, Lo: 39, Hi: 41}, 1, 10, 40 - math.Hypot(1, t9), 40 + math.Hypot(1, t9)},
		{"sd 1, 20 refits", Interval{Est: 40, Lo: 39, Hi: 41}, 1, 20, 40 - math.Hypot(1, t19), 40 + math.Hypot(1, t19)},
		// Asymmetric sides stay asymmetric.
		{"asymmetric, no sd", Interval{Est: 10, Lo: 7, Hi: 14}, 0, 10, 7, 14},
		{"asymmetric", Interval{Est: 10, Lo: 7, Hi: 14}, 2 / t9, 10, 10 - math.Sqrt(13), 10 + math.Sqrt(20)},
		// Fewer than two refits give no sd: the interval is left alone.
		{"1 refit", Interval{Est: 10, Lo: 7, Hi: 14}, 3, 1, 7, 14},
		{"0 refits", Interval{Est: 10, Lo: 7, Hi: 14}, 3, 0, 7, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := widen(tt.iv, tt.sd, tt.refits)
			if got.Est != tt.iv.Est || math.Abs(got.Lo-tt.lo) > 1e-9 || math.Abs(got.Hi-tt.hi) > 1e-9 {
				t.Errorf("widen(%+v, %v, %d) = %+v, want [%v, %v]", tt.iv, tt.sd, tt.refits, got, tt.lo, tt.hi)
			}
		})
	}
}

func TestModelQuantile(t *testing.T) {
	tests := []struct {
		refits int
		want   float64
	}{
		{0, 0}, {1, 0},
		{2, 12.706204736174698}, {3, 4.302652729749464}, {5, 2.7764451051977934},
		{10, 2.2621571627409915}, {20, 2.093024054408263}, {200, 1.971956544249395},
	}
	for _, tt := range tests {
		if got := ModelQuantile(tt.refits); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("ModelQuantile(%d) = %v, want %v", tt.refits, got, tt.want)
		}
	}
}

// The anchor counts only what the logged run did within the hours the
// candidate shares with it.
func TestObservedUntil(t *testing.T) {
	inv := Invoice{Amount: 500, Recovered: true, RecoveredH: 72, RetryH: []float64{24, 72}}
	tests := []struct {
		h       float64
		rec     float64
		retries float64
	}{
		{23, 0, 0},
		{24, 0, 1},
		{71.9, 0, 1},
		{72, 1, 2},
		{168, 1, 2},
	}
	for _, tt := range tests {
		o := observedUntil(&inv, tt.h)
		if o.rec != tt.rec || o.retries != tt.retries || o.amount != 500*tt.rec {
			t.Errorf("until %vh: %+v, want recovered %v after %v retries", tt.h, o, tt.rec, tt.retries)
		}
	}
}
