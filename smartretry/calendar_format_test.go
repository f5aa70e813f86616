package smartretry

import (
	"math/rand/v2"
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
