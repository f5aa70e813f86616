package smartretry

import (
	"strconv"
	"time"
)

// Explanations name local times, several per recommendation served; the
// layout-driven time.Format spends most of its work reading the layout.
// appendLocal writes the two layouts explanations use from one zone
// lookup and the calendar's arithmetic, the same text
// (TestAppendLocalMatchesFormat).

var (
	weekdayAbbr = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	monthAbbr   = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// appendLocal appends t in loc as t.In(loc).AppendFormat does with the
// layout "Mon 2 Jan 15:04" (withDay) or "15:04".
func appendLocal(b []byte, t time.Time, loc *time.Location, withDay bool) []byte {
	_, off := t.In(loc).Zone()
	local := t.Unix() + int64(off)
	day, rem := local/86400, local%86400
	if rem < 0 {
		rem += 86400
		day--
	}
	if withDay {
		_, m, d := civilFromDays(int(day))
		b = append(b, weekdayAbbr[weekdayOf(int(day))]...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, ' ')
		b = append(b, monthAbbr[m-1]...)
		b = append(b, ' ')
	}
	hh, mm := rem/3600, rem%3600/60
	return append(b, byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10))
}
