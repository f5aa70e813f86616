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
		// 2026-02-01 and 2026-03-01 are Sundays: pay moves to Monday.
		{"1st", time.Date(2026, 2, 10, 12, 0, 0, 0, ny), anchorFirst, day(2026, 2, 2), day(2026, 3, 2)},
		// 2026-02-15 and 2026-03-15 are Sundays: pay moves to Friday.
		{"15th before", time.Date(2026, 2, 10, 12, 0, 0, 0, ny), anchorMid, day(2026, 1, 15), day(2026, 2, 13)},
		{"15th moved", time.Date(2026, 2, 13, 0, 30, 0, 0, ny), anchorMid, day(2026, 2, 13), day(2026, 3, 13)},
		{"25th", time.Date(2026, 2, 26, 0, 30, 0, 0, ny), anchor25th, day(2026, 2, 25), day(2026, 3, 25)},
		// February 2026 starts on a Sunday: its 5th business day is Friday the 6th.
		{"5th business day", time.Date(2026, 2, 6, 1, 0, 0, 0, ny), anchorFifthBD, day(2026, 2, 6), day(2026, 3, 6)},
		{"last bd weekend", time.Date(2026, 2, 3, 9, 0, 0, 0, ny), anchorLastBD, day(2026, 1, 30), day(2026, 2, 27)},
		{"friday", time.Date(2026, 2, 11, 9, 0, 0, 0, ny), anchorFriday, day(2026, 2, 6), day(2026, 2, 13)},
		{"friday itself", time.Date(2026, 2, 13, 1, 0, 0, 0, ny), anchorFriday, day(2026, 2, 13), day(2026, 2, 20)},
		// 03:00 UTC on Monday the 2nd is still Sunday in New York.
		{"local date", time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), anchorFirst, day(2026, 2, 2), day(2026, 3, 2)},
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

func TestCivilMatchesTimePackage(t *testing.T) {
	zones := []string{"UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/London"}
	for _, name := range zones {
		loc, _ := location(name)
		zc := zoneCursor{loc: loc}
		at := time.Date(2025, 12, 28, 0, 0, 0, 0, time.UTC)
		for h := 0; h < 24*400; h += 7 {
			tt := at.Add(time.Duration(h) * time.Hour)
			lt := tt.In(loc)
			c := civilAt(tt.Unix(), zc.offset(tt))
			y, m, d := lt.Date()
			if c.y != y || c.m != int(m) || c.d != d || c.wd != int(lt.Weekday()) || int(c.hour) != lt.Hour() {
				t.Fatalf("%s %v: civil %+v, time package %v", name, tt, c, lt)
			}
			if c != toCivil(tt, loc) {
				t.Fatalf("%s %v: cursor and toCivil disagree", name, tt)
			}
		}
	}
}
