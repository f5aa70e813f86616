package smartretry

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// appendLocal and appendClockAt write what time's AppendFormat writes
// with localLayout and "15:04", for random instants over two centuries
// (before 1970 included) in every workload zone and UTC, the changes of
// the clocks included.
func TestAppendLocalIsFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	zones := append([]string{"UTC", "Australia/Lord_Howe", "Asia/Kathmandu"}, workloadZones...)
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2000; i++ {
			at := time.Unix(r.Int64N(200*365*86400)-100*365*86400, 0)
			if i%2 == 0 {
				at = at.Truncate(time.Hour).Add(time.Duration(r.IntN(4)) * 15 * time.Minute)
			}
			if got, want := string(appendLocal([]byte("x"), at, loc)), "x"+at.In(loc).Format(localLayout); got != want {
				t.Fatalf("%s at %v: %q, want %q", z, at, got, want)
			}
			if got, want := string(appendClockAt(nil, at, loc)), at.In(loc).Format("15:04"); got != want {
				t.Fatalf("%s at %v: clock %q, want %q", z, at, got, want)
			}
		}
	}
}

// appendWhole writes what strconv.AppendFloat writes with 'f' and no
// decimals: halves (to even), values just off them, whole numbers,
// zeros of both signs, negatives, huge values, infinities and NaN.
func TestAppendWholeIsAppendFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	xs := []float64{0, math.Copysign(0, -1), 0.5, 1.5, 2.5, 1e15 + 0.5, 1 << 52, 1<<52 - 0.5, 1 << 53, 1e300, -0.4, -2.5,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Nextafter(0.5, 1), math.Nextafter(0.5, 0), math.Nextafter(2.5, 3), 99.5, 100}
	for i := 0; i < 20000; i++ {
		x := r.Float64() * []float64{1, 100, 1e4, 1e9}[i%4]
		if i%3 == 0 {
			x = math.Floor(x) + 0.5
		}
		xs = append(xs, x, 100*r.Float64(), float64(r.IntN(400*3600))/3600)
	}
	for _, x := range xs {
		if got, want := string(appendWhole([]byte("x"), x)), "x"+strconv.FormatFloat(x, 'f', 0, 64); got != want {
			t.Fatalf("%v (%b): %q, want %q", x, x, got, want)
		}
	}
}
