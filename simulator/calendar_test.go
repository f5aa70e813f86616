package simulator

import (
	"reflect"
	"testing"
	"time"
)

func TestPaydays(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	// Tuesday 2026-03-10 15:00 UTC (11:00 in New York, EDT since March 8).
	at := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		sched string
		phase int
		loc   *time.Location
		want  []int // hours after at, within 21 days
	}{
		// Fridays 13th, 20th, 27th at 00:00 EDT = 04:00 UTC.
		{"weekly_friday", 0, ny, []int{61, 229, 397}},
		{"biweekly_friday", fridayIndex(time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)) % 2, ny, []int{61, 397}},
		// 15th is a Sunday: paid Friday 13th; 31st is a Tuesday, 04:00 UTC.
		{"semimonthly_15_last", 0, ny, []int{61, 493}},
		{"monthly_last_business_day", 0, ny, []int{493}},
		// April 1st is a Wednesday: 22 days away, beyond 21.
		{"monthly_first", 0, ny, nil},
		{"monthly_25th", 0, ny, []int{349}},
		// Brazil: fifth business day of April is Tuesday the 7th, too far;
		// March's (the 6th) is past.
		{"monthly_fifth_business_day", 0, sp, nil},
	}
	for _, tt := range tests {
		got := depositSlots(tt.sched, tt.phase, at, tt.loc, 0, 21*24)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s phase %d: %v, want %v", tt.sched, tt.phase, got, tt.want)
		}
	}
}
