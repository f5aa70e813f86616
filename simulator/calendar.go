package simulator

import (
	"sort"
	"time"
)

// paydaySchedules are the pay schedules a world may use. Each reports
// whether a local date is a payday; biweekly schedules have two phases
// (which alternate Friday), the others one.
var paydaySchedules = map[string]struct {
	phases int
	pays   func(d time.Time, phase int) bool
}{
	"weekly_friday":   {1, func(d time.Time, _ int) bool { return d.Weekday() == time.Friday }},
	"biweekly_friday": {2, func(d time.Time, ph int) bool { return d.Weekday() == time.Friday && fridayIndex(d)%2 == ph }},
	"semimonthly_15_last": {1, func(d time.Time, _ int) bool {
		return d.Day() == businessDayOnOrBefore(d.Year(), d.Month(), 15) || d.Day() == businessDayOnOrBefore(d.Year(), d.Month(), lastDay(d.Year(), d.Month()))
	}},
	"monthly_last_business_day": {1, func(d time.Time, _ int) bool {
		return d.Day() == businessDayOnOrBefore(d.Year(), d.Month(), lastDay(d.Year(), d.Month()))
	}},
	"monthly_first": {1, func(d time.Time, _ int) bool { return d.Day() == businessDayOnOrBefore(d.Year(), d.Month(), 1) }},
	"monthly_25th":  {1, func(d time.Time, _ int) bool { return d.Day() == businessDayOnOrBefore(d.Year(), d.Month(), 25) }},
	"monthly_fifth_business_day": {1, func(d time.Time, _ int) bool {
		return d.Day() == nthBusinessDay(d.Year(), d.Month(), 5)
	}},
}

// PaydaySchedules lists the schedule names a world may use.
func PaydaySchedules() []string {
	return sortedKeys(paydaySchedules)
}

// fridayIndex numbers Fridays since 1970-01-02 (a Friday).
func fridayIndex(d time.Time) int {
	days := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
	return int((days - 1) / 7)
}

func lastDay(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func weekend(y int, m time.Month, day int) bool {
	wd := time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// businessDayOnOrBefore moves a pay date that falls on a weekend to the
// Friday before (within the month; a weekend 1st moves forward).
func businessDayOnOrBefore(y int, m time.Month, day int) int {
	d := day
	for d > 1 && weekend(y, m, d) {
		d--
	}
	for weekend(y, m, d) {
		d++
	}
	return d
}

func nthBusinessDay(y int, m time.Month, n int) int {
	count := 0
	for d := 1; d <= lastDay(y, m); d++ {
		if !weekend(y, m, d) {
			count++
			if count == n {
				return d
			}
		}
	}
	return lastDay(y, m)
}

// depositSlots returns the hours after failedAt (rounded up) at which pay
// lands for the schedule and phase, up to horizon hours.
func depositSlots(sched string, phase int, failedAt time.Time, loc *time.Location, depositHour, horizon int) []int {
	s := paydaySchedules[sched]
	local := failedAt.In(loc)
	var out []int
	for i := 0; i <= horizon/24+1; i++ {
		d := time.Date(local.Year(), local.Month(), local.Day()+i, 0, 0, 0, 0, loc)
		if !s.pays(d, phase) {
			continue
		}
		dep := time.Date(d.Year(), d.Month(), d.Day(), depositHour, 0, 0, 0, loc)
		h := dep.Sub(failedAt).Hours()
		slot := int(h)
		if float64(slot) < h {
			slot++
		}
		if slot >= 1 && slot <= horizon {
			out = append(out, slot)
		}
	}
	sort.Ints(out)
	return out
}
