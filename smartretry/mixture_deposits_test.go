package smartretry

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The pay-deposit calendar is the one worked out day by day from each
// day's civil date (refFillDeposits, the calendar as it was), over runs
// starting on random days of 2024–2028 (leap days, year ends, changes of
// the clocks) in zones east and west and at a half-hour offset.
func TestDepositsMatchDayByDay(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, zone := range []string{"America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skip("no time zone data")
		}
		for trial := 0; trial < 300; trial++ {
			from := time.Date(2024, 1, 1, 0, 0, 0, 0, loc).Add(time.Duration(r.IntN(5*365*24*60)) * time.Minute)
			to := from.Add(time.Duration(r.IntN(60*24)) * time.Hour)
			hour := r.IntN(24)
			var got, want deposits
			got.fill(loc, from, to, hour)
			refFillDeposits(&want, loc, from, to, hour)
			for s := range got.pay {
				if !slices.Equal(got.pay[s], want.pay[s]) {
					t.Fatalf("%s from %v to %v at %d: schedule %s deposits %v, want %v", zone, from, to, hour, schedNames[s], got.pay[s], want.pay[s])
				}
			}
		}
	}
}

// refFillDeposits is deposits.fill as it was, converting every day to
// its civil date.
func refFillDeposits(d *deposits, loc *time.Location, from, to time.Time, hour int) {
	d.loc = loc
	for s := range d.pay {
		d.pay[s] = d.pay[s][:0]
	}
	c0, c1 := toCivil(from, loc), toCivil(to, loc)
	var am [5]int // the month's anchors, computed once per month
	amY, amM := 0, 0
	for day := c0.day - lookbackDays; day <= c1.day+1; day++ {
		y, m, dd := civilFromDays(day)
		if y != amY || m != amM {
			amY, amM = y, m
			for i, kind := range [5]int{anchorLastBD, anchorMid, anchorFirst, anchor25th, anchorFifthBD} {
				am[i] = monthlyAnchor(kind, y, m)
			}
		}
		mask := depositMask(day, &am)
		if mask == 0 {
			continue
		}
		at := time.Date(y, time.Month(m), dd, hour, 0, 0, 0, loc).Unix()
		for s := 0; s < numSched; s++ {
			if mask&(1<<s) != 0 {
				d.pay[s] = append(d.pay[s], at)
			}
		}
	}
}
