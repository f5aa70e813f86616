package simulator

import (
	"sort"
	"time"
)

// paydaySchedules are the pay schedules a world may use. Each lists the
// pay days of a month; biweekly schedules have two phases (which
// alternate Friday), the others one.
var paydaySchedules = map[string]struct {
	phases int
	days   func(y int, m time.Month, phase int) []int
}{
	"weekly_friday":   {1, func(y int, m time.Month, _ int) []int { return fridays(y, m, -1) }},
	"biweekly_friday": {2, func(y int, m time.Month, ph int) []int { return fridays(y, m, ph) }},
	"semimonthly_15_last": {1, func(y int, m time.Month, _ int) []int {
		return []int{businessDayOnOrBefore(y, m, 15), businessDayOnOrBefore(y, m, lastDay(y, m))}
	}},
	"monthly_last_business_day": {1, func(y int, m time.Month, _ int) []int {
		return []int{businessDayOnOrBefore(y, m, lastDay(y, m))}
	}},
	"monthly_first":              {1, func(y int, m time.Month, _ int) []int { return []int{businessDayOnOrBefore(y, m, 1)} }},
	"monthly_25th":               {1, func(y int, m time.Month, _ int) []int { return []int{businessDayOnOrBefore(y, m, 25)} }},
	"monthly_fifth_business_day": {1, func(y int, m time.Month, _ int) []int { return []int{nthBusinessDay(y, m, 5)} }},
}

// fridays lists a month's Fridays; with phase ≥ 0 only those whose index
// since 1970-01-02 has that parity.
func fridays(y int, m time.Month, phase int) []int {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	d := 1 + (int(time.Friday)-int(first.Weekday())+7)%7
	var out []int
	for ; d <= lastDay(y, m); d += 7 {
		if phase < 0 || fridayIndex(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))%2 == phase {
			out = append(out, d)
		}
	}
	return out
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
	last := local.AddDate(0, 0, horizon/24+2)
	var out []int
	y, m := local.Year(), local.Month()
	for {
		for _, day := range s.days(y, m, phase) {
			dep := time.Date(y, m, day, depositHour, 0, 0, 0, loc)
			h := dep.Sub(failedAt).Hours()
			slot := int(h)
			if float64(slot) < h {
				slot++
			}
			if slot >= 1 && slot <= horizon {
				out = append(out, slot)
			}
		}
		if y > last.Year() || (y == last.Year() && m >= last.Month()) {
			break
		}
		if m++; m > time.December {
			y, m = y+1, time.January
		}
	}
	sort.Ints(out)
	return out
}
