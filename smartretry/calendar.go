package smartretry

import (
	"math"
	"sync"
	"time"
)

// Paydays cluster on calendar anchors: the 1st and the 15th of the month
// (semimonthly and monthly pay), the last business day (monthly pay in
// many countries) and Fridays (weekly and biweekly pay). Deposits land
// around local midnight, so an anchor is the local midnight that starts
// the anchor day. Everything here works on civil day numbers in the
// customer's time zone, which is cheap enough to run for every slot of a
// grid and makes "was an anchor crossed between a and b" a comparison of
// two integers.

// anchor kinds, in feature order. Monthly pay dates that fall on a
// weekend move to a business day, as payrolls do: the 15th and the 25th to
// the Friday before, the 1st to the Monday after.
const (
	anchorFirst   = iota // the 1st of the month (next business day)
	anchorMid            // the 15th (previous business day)
	anchorLastBD         // the last business day of the month
	anchor25th           // the 25th (previous business day)
	anchorFifthBD        // the 5th business day
	anchorFriday         // every Friday
	numAnchors
)

var anchorNames = [numAnchors]string{"1st", "15th", "last_bd", "25th", "5th_bd", "friday"}

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
	_, off := t.In(loc).Zone()
	return civilAt(t.Unix(), off)
}

// civilAt is the wall clock at Unix time sec in a zone offset off seconds
// east of UTC: pure arithmetic, so a grid can step through a zone period
// without time.Time's machinery.
func civilAt(sec int64, off int) civil {
	local := sec + int64(off)
	day := local / 86400
	rem := local % 86400
	if rem < 0 {
		rem += 86400
		day--
	}
	y, m, d := civilFromDays(int(day))
	return civil{day: int(day), hour: float64(rem) / 3600, y: y, m: m, d: d, wd: weekdayOf(int(day))}
}

// civilFromDays is the inverse of daysFromCivil (Howard Hinnant's
// algorithm).
func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// zoneCursor yields zone offsets for increasing times, looking the zone
// up only when a period (for example a DST change) ends.
type zoneCursor struct {
	loc      *time.Location
	off      int
	from, to int64 // the current period, Unix seconds; to 0 means open
	valid    bool
}

func (z *zoneCursor) offset(t time.Time) int {
	sec := t.Unix()
	if z.valid && sec >= z.from && (z.to == 0 || sec < z.to) {
		return z.off
	}
	return z.lookup(t)
}

// offsetAt is offset at Unix time sec.
func (z *zoneCursor) offsetAt(sec int64) int {
	if z.valid && sec >= z.from && (z.to == 0 || sec < z.to) {
		return z.off
	}
	return z.lookup(time.Unix(sec, 0))
}

func (z *zoneCursor) lookup(t time.Time) int {
	lt := t.In(z.loc)
	_, z.off = lt.Zone()
	start, end := lt.ZoneBounds()
	z.from, z.to, z.valid = start.Unix(), 0, true
	if start.IsZero() {
		z.from = math.MinInt64
	}
	if !end.IsZero() {
		z.to = end.Unix()
	}
	return z.off
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

// monthlyAnchor is the day number of a monthly anchor in month (y, m).
func monthlyAnchor(kind, y, m int) int {
	switch kind {
	case anchorFirst:
		d := daysFromCivil(y, m, 1)
		switch weekdayOf(d) {
		case 6:
			return d + 2
		case 0:
			return d + 1
		}
		return d
	case anchorMid:
		return businessDayBefore(daysFromCivil(y, m, 15))
	case anchor25th:
		return businessDayBefore(daysFromCivil(y, m, 25))
	case anchorFifthBD:
		d := daysFromCivil(y, m, 1)
		for n := 0; ; d++ {
			if wd := weekdayOf(d); wd != 0 && wd != 6 {
				if n++; n == 5 {
					return d
				}
			}
		}
	default:
		return lastBusinessDay(y, m)
	}
}

func businessDayBefore(d int) int {
	switch weekdayOf(d) {
	case 6:
		return d - 1
	case 0:
		return d - 2
	}
	return d
}

// lastAnchor is the day number of the latest anchor day on or before c.
func lastAnchor(kind int, c civil) int {
	if kind == anchorFriday {
		return c.day - (c.wd-5+7)%7
	}
	if a := monthlyAnchor(kind, c.y, c.m); a <= c.day {
		return a
	}
	py, pm := prevMonth(c.y, c.m)
	return monthlyAnchor(kind, py, pm)
}

// nextAnchor is the day number of the earliest anchor day after c's day.
func nextAnchor(kind int, c civil) int {
	if kind == anchorFriday {
		n := (5 - c.wd + 7) % 7
		if n == 0 {
			n = 7
		}
		return c.day + n
	}
	if a := monthlyAnchor(kind, c.y, c.m); a > c.day {
		return a
	}
	ny, nm := nextMonth(c.y, c.m)
	return monthlyAnchor(kind, ny, nm)
}

// dayAnchors are a local day's latest and next anchors, computed once per
// day of a grid.
type dayAnchors struct {
	day        int
	last, next [numAnchors]int
	// sinceDay and toDay are the proximity features at the day's local
	// midnight; the hour of day scales them by one shared factor.
	sinceDay, toDay [numAnchors]float64
}

func anchorsOf(c civil) dayAnchors {
	a := dayAnchors{day: c.day}
	for k := 0; k < numAnchors; k++ {
		a.last[k], a.next[k] = lastAnchor(k, c), nextAnchor(k, c)
		a.sinceDay[k] = dayDecay(c.day - a.last[k])
		a.toDay[k] = dayDecay(a.next[k] - c.day)
	}
	return a
}

// dayDecays[k] is exp(-k/anchorDecay): anchors are at most a month and a
// week away, so a table replaces a dozen exponentials per day of a grid.
var dayDecays = func() (t [64]float64) {
	for k := range t {
		t[k] = math.Exp(-float64(k) / anchorDecay)
	}
	return t
}()

// dayDecay is exp(-days/anchorDecay).
func dayDecay(days int) float64 {
	if days >= 0 && days < len(dayDecays) {
		return dayDecays[days]
	}
	return math.Exp(-float64(days) / anchorDecay)
}

// anchorYears caches anchorsOf for every local day of the years
// anchorFirstYear..+len: a day's anchors depend on its date alone, so a
// year is computed once, on first use, for every request after.
const anchorFirstYear = 2000

var anchorYears [100]struct {
	once sync.Once
	days []dayAnchors
}

// anchorsOn is anchorsOf for the local day of c, from the cache when the
// year is in it.
func anchorsOn(c civil) dayAnchors {
	i := c.y - anchorFirstYear
	if i < 0 || i >= len(anchorYears) {
		return anchorsOf(c)
	}
	y := &anchorYears[i]
	first := daysFromCivil(c.y, 1, 1)
	y.once.Do(func() {
		n := daysFromCivil(c.y+1, 1, 1) - first
		y.days = make([]dayAnchors, n)
		for k := range y.days {
			d := first + k
			yy, mm, dd := civilFromDays(d)
			y.days[k] = anchorsOf(civil{day: d, y: yy, m: mm, d: dd, wd: weekdayOf(d)})
		}
	})
	return y.days[c.day-first]
}
