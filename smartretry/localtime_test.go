package smartretry

import (
	"math/rand/v2"
	"testing"
	"time"
)

// appendLocal writes what time.Format writes with its two layouts, for
// times from 1900 to 2200 (before 1970 too, with seconds and
// nanoseconds) in zones east and west, with half and quarter hours and
// changes of the clocks.
func TestAppendLocalMatchesFormat(t *testing.T) {
	zones := []string{"UTC", "America/Chicago", "America/St_Johns", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
		"Pacific/Chatham", "Europe/London", "America/Sao_Paulo", "Pacific/Apia", "Pacific/Kiritimati", "America/Adak"}
	r := rand.New(rand.NewPCG(51, 52))
	lo, hi := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4000; i++ {
			at := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9))
			if i%2 == 0 { // around this century's changes of the clocks
				at = time.Date(2020+r.IntN(10), time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
			}
			for _, c := range []struct {
				day    bool
				layout string
			}{{true, "Mon 2 Jan 15:04"}, {false, "15:04"}} {
				want := at.In(loc).Format(c.layout)
				if got := string(appendLocal([]byte("x"), at, loc, c.day)[1:]); got != want {
					t.Fatalf("%s %v (%d): %q, Format %q", name, at, at.Unix(), got, want)
				}
			}
		}
	}
}
