package smartretry

import "time"

// Paydays cluster on calendar anchors: the 1st and the 15th of the month
// (semimonthly and monthly pay), the last business day (monthly pay in
// many countries) and Fridays (weekly and biweekly pay). Deposits land
// around local midnight, so an anchor is the local midnight that starts
// the anchor day. Everything here works on civil day numbers in the
// customer's time zone, which is cheap enough to run for every slot of a
// grid and makes "was an anchor crossed between a and b" a comparison of
// two integers.

// anchor kinds, in feature order.
const (
	anchorFirst  = iota // the 1st of the month
	anchorMid           // the 15th
	anchorLastBD        // the last business day (Mon–Fri) of the month
	anchorFriday
	numAnchors
)

var anchorNames = [numAnchors]string{"1st", "15th", "last_bd", "friday"}

// civil is a moment seen on the customer's wall clock.
type civil struct {
	day  int     // days since 1970-01-01 in local time
	hour float64 // local hour of day, fractional
	y    int
	m    int
	d    int
	wd   int // 0 = Sunday
}

func toCivil(t time.Time, loc *time.Location) civil {
	lt := t.In(loc)
	y, m, d := lt.Date()
	h, mi, s := lt.Clock()
	day := daysFromCivil(y, int(m), d)
	return civil{day: day, hour: float64(h) + float64(mi)/60 + float64(s)/3600, y: y, m: int(m), d: d, wd: weekdayOf(day)}
}

// frac is the local time as fractional days since the epoch.
func (c civil) frac() float64 { return float64(c.day) + c.hour/24 }

// daysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func weekdayOf(day int) int {
	w := (day + 4) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return w
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func prevMonth(y, m int) (int, int) {
	if m == 1 {
		return y - 1, 12
	}
	return y, m - 1
}

func nextMonth(y, m int) (int, int) {
	if m == 12 {
		return y + 1, 1
	}
	return y, m + 1
}

// lastBusinessDay is the day number of the month's last Monday–Friday.
func lastBusinessDay(y, m int) int {
	day := daysFromCivil(y, m, daysIn(y, m))
	switch weekdayOf(day) {
	case 6:
		return day - 1
	case 0:
		return day - 2
	}
	return day
}

// lastAnchor is the day number of the latest anchor day on or before c.
func lastAnchor(kind int, c civil) int {
	switch kind {
	case anchorFirst:
		return c.day - (c.d - 1)
	case anchorMid:
		if c.d >= 15 {
			return c.day - (c.d - 15)
		}
		py, pm := prevMonth(c.y, c.m)
		return daysFromCivil(py, pm, 15)
	case anchorLastBD:
		if l := lastBusinessDay(c.y, c.m); l <= c.day {
			return l
		}
		py, pm := prevMonth(c.y, c.m)
		return lastBusinessDay(py, pm)
	default:
		return c.day - (c.wd-5+7)%7
	}
}

// nextAnchor is the day number of the earliest anchor day after c's day.
func nextAnchor(kind int, c civil) int {
	switch kind {
	case anchorFirst:
		ny, nm := nextMonth(c.y, c.m)
		return daysFromCivil(ny, nm, 1)
	case anchorMid:
		if c.d < 15 {
			return c.day + (15 - c.d)
		}
		ny, nm := nextMonth(c.y, c.m)
		return daysFromCivil(ny, nm, 15)
	case anchorLastBD:
		if l := lastBusinessDay(c.y, c.m); l > c.day {
			return l
		}
		ny, nm := nextMonth(c.y, c.m)
		return lastBusinessDay(ny, nm)
	default:
		n := (5 - c.wd + 7) % 7
		if n == 0 {
			n = 7
		}
		return c.day + n
	}
}
