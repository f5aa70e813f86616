package smartretry

import (
	"slices"
	"testing"
	"time"
)

// The pay schedules pay on the days a calendar gives, worked out by hand
// for July and August 2026 (no holidays): 1 July is a Wednesday, 1 August
// a Saturday. Biweekly "a" is the Fridays an even number of weeks after
// Friday 1970-01-02; 2026-07-17 is 20650 days (1475 fortnights) after it.
func TestPayDepositsOnKnownDates(t *testing.T) {
	cases := []struct {
		date string
		want []int
	}{
		{"2026-07-31", []int{schedWeekly, schedBiweekly0, schedSemimonthly, schedLastBD}}, // Friday, last business day
		{"2026-07-24", []int{schedWeekly, schedBiweekly1, sched25th}},                     // Friday before Saturday the 25th
		{"2026-07-17", []int{schedWeekly, schedBiweekly0}},
		{"2026-08-07", []int{schedWeekly, schedBiweekly1, schedFifthBD}},     // Aug 3–7 are its first business days
		{"2026-08-14", []int{schedWeekly, schedBiweekly0, schedSemimonthly}}, // Friday before Saturday the 15th
		{"2026-07-15", []int{schedSemimonthly}},                              // Wednesday the 15th
		{"2026-07-01", []int{schedFirst}},                                    // Wednesday the 1st
		{"2026-07-07", []int{schedFifthBD}},                                  // Jul 1, 2, 3, 6, 7
		{"2026-08-25", []int{sched25th}},                                     // Tuesday the 25th
		{"2026-08-31", []int{schedSemimonthly, schedLastBD}},                 // Monday, last business day
		{"2026-08-03", []int{schedFirst}},                                    // Monday after Saturday the 1st
		{"2026-08-01", nil},                                                  // Saturday the 1st
		{"2026-08-02", nil},                                                  // Sunday
		{"2026-07-25", nil},                                                  // Saturday the 25th
		{"2026-08-15", nil},                                                  // Saturday the 15th
		{"2026-07-30", nil},                                                  // Thursday
	}
	const hour = 9
	for _, c := range cases {
		day, err := time.ParseInLocation(time.DateOnly, c.date, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		at := day.Add(hour * time.Hour)
		dep := payDeposits(time.UTC, at, at, hour)
		var got []int
		for s := range dep.pay {
			if slices.Contains(dep.pay[s], at.Unix()) {
				got = append(got, s)
			}
		}
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: schedules %v, want %v", c.date, names(got), names(want))
		}
	}
}

func names(ss []int) []string {
	var out []string
	for _, s := range ss {
		out = append(out, schedNames[s])
	}
	return out
}
