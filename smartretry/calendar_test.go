package smartretry

import (
	"testing"
	"time"
)

func TestAnchors(t *testing.T) {
	ny, _ := location("America/New_York")
	day := func(y int, m time.Month, d int) int { return daysFromCivil(y, int(m), d) }
	tests := []struct {
		name       string
		at         time.Time
		kind       int
		last, next int
	}{
		// 2026-01-31 is a Saturday: the last business day is Friday the 30th.
		{"1st", time.Date(2026, 2, 10, 12, 0, 0, 0, ny), anchorFirst, day(2026, 2, 1), day(2026, 3, 1)},
		{"15th before", time.Date(2026, 2, 10, 12, 0, 0, 0, ny), anchorMid, day(2026, 1, 15), day(2026, 2, 15)},
		{"15th on", time.Date(2026, 2, 15, 0, 30, 0, 0, ny), anchorMid, day(2026, 2, 15), day(2026, 3, 15)},
		{"last bd weekend", time.Date(2026, 2, 3, 9, 0, 0, 0, ny), anchorLastBD, day(2026, 1, 30), day(2026, 2, 27)},
		{"friday", time.Date(2026, 2, 11, 9, 0, 0, 0, ny), anchorFriday, day(2026, 2, 6), day(2026, 2, 13)},
		{"friday itself", time.Date(2026, 2, 13, 1, 0, 0, 0, ny), anchorFriday, day(2026, 2, 13), day(2026, 2, 20)},
		// 03:00 UTC on the 1st is still the previous day in New York.
		{"local date", time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), anchorFirst, day(2026, 2, 1), day(2026, 3, 1)},
		{"december", time.Date(2026, 12, 20, 9, 0, 0, 0, ny), anchorFirst, day(2026, 12, 1), day(2027, 1, 1)},
	}
	for _, tc := range tests {
		c := toCivil(tc.at, ny)
		if got := lastAnchor(tc.kind, c); got != tc.last {
			t.Errorf("%s: last anchor %d, want %d", tc.name, got, tc.last)
		}
		if got := nextAnchor(tc.kind, c); got != tc.next {
			t.Errorf("%s: next anchor %d, want %d", tc.name, got, tc.next)
		}
	}
	if w := weekdayOf(day(2026, 11, 24)); w != int(time.Tuesday) {
		t.Errorf("weekday of 2026-11-24 = %d, want Tuesday", w)
	}
}
