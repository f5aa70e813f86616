package backtest

import (
	"math"
	"testing"
)

func TestWiden(t *testing.T) {
	tests := []struct {
		iv     Interval
		sd     float64
		lo, hi float64
	}{
		{Interval{Est: 40, Lo: 39, Hi: 41}, 0, 39, 41},
		// 1.96 × 0.51 ≈ 1: each side grows to √2.
		{Interval{Est: 40, Lo: 39, Hi: 41}, 1 / 1.96, 40 - math.Sqrt2, 40 + math.Sqrt2},
		// Asymmetric sides stay asymmetric.
		{Interval{Est: 10, Lo: 7, Hi: 14}, 0, 7, 14},
		{Interval{Est: 10, Lo: 7, Hi: 14}, 2 / 1.96, 10 - math.Sqrt(13), 10 + math.Sqrt(20)},
	}
	for _, tt := range tests {
		got := widen(tt.iv, tt.sd)
		if got.Est != tt.iv.Est || math.Abs(got.Lo-tt.lo) > 1e-9 || math.Abs(got.Hi-tt.hi) > 1e-9 {
			t.Errorf("widen(%+v, %v) = %+v, want [%v, %v]", tt.iv, tt.sd, got, tt.lo, tt.hi)
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
