package analytics

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestNamedQueriesMatchHandComputedFigures(t *testing.T) {
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		name  string
		query string
		opts  Options
		cols  []string
		rows  [][]any
	}{
		{"recovery overall", "recovery", Options{},
			[]string{"total", "recovered", "recovery_rate", "total_amount", "recovered_amount", "amount_recovery_rate"},
			[][]any{{int64(4), int64(2), 0.5, int64(12000), int64(3000), 0.25}}},
		{"recovery by decline code", "recovery", Options{By: []string{"decline_code"}}, nil,
			[][]any{
				{"do_not_honor", int64(1), int64(1), 1.0, int64(2000), int64(2000), 1.0},
				{"expired_card", int64(1), int64(0), 0.0, int64(5000), int64(0), nil},
				{"insufficient_funds", int64(2), int64(1), 0.5, int64(5000), int64(1000), 0.2},
			}},
		{"recovery by category and funding", "recovery", Options{By: []string{"decline_category", "funding"}}, nil,
			[][]any{
				{"card_data", "credit", int64(1), int64(0), 0.0, int64(5000), int64(0), nil},
				{"insufficient_funds", "debit", int64(2), int64(1), 0.5, int64(5000), int64(1000), 0.2},
				{"soft", "debit", int64(1), int64(1), 1.0, int64(2000), int64(2000), 1.0},
			}},
		{"recovery by preset", "recovery", Options{By: []string{"preset"}}, nil,
			[][]any{
				{"default", int64(1), int64(0), 0.0, int64(5000), int64(0), nil},
				{"pre_x", int64(3), int64(2), 0.6667, int64(7000), int64(3000), 0.4286},
			}},
		{"recovery by month from February", "recovery", Options{By: []string{"month", "network", "country", "product"}, From: ts("2026-02-01T00:00:00Z")}, nil,
			[][]any{
				{"2026-02", "mastercard", "DE", "prod_b", int64(1), int64(0), 0.0, int64(5000), int64(0), nil},
				{"2026-02", "visa", "US", "prod_a", int64(1), int64(0), 0.0, int64(4000), int64(0), nil},
			}},
		{"recovery by local hour (retries)", "recovery", Options{By: []string{"local_hour"}}, nil,
			[][]any{
				{int64(0), int64(1), int64(1), 1.0, int64(1000), int64(1000), 1.0},
				{int64(7), int64(1), int64(1), 1.0, int64(2000), int64(2000), 1.0},
				{int64(9), int64(1), int64(0), 0.0, int64(1000), int64(0), nil},
				{int64(10), int64(1), int64(0), 0.0, int64(4000), int64(0), nil},
			}},
		{"recovery by weekday and source", "recovery", Options{By: []string{"weekday", "source"}}, nil,
			[][]any{
				{int64(0), "schedule", int64(1), int64(1), 1.0, int64(2000), int64(2000), 1.0},
				{int64(2), "schedule", int64(1), int64(0), 0.0, int64(1000), int64(0), nil},
				{int64(3), "schedule", int64(1), int64(0), 0.0, int64(4000), int64(0), nil},
				{int64(4), "smart", int64(1), int64(1), 1.0, int64(1000), int64(1000), 1.0},
			}},
		{"recovery by attempt number", "recovery", Options{By: []string{"attempt_number"}, To: ts("2026-02-01T00:00:00Z")}, nil,
			[][]any{
				{int64(2), int64(2), int64(1), 0.5, int64(3000), int64(2000), 0.6667},
				{int64(3), int64(1), int64(1), 1.0, int64(1000), int64(1000), 1.0},
			}},
		{"time to recovery", "time_to_recovery", Options{},
			[]string{"recovered", "p50_hours", "p75_hours", "p90_hours", "p95_hours", "mean_hours"},
			[][]any{{int64(2), 43.5, 53.25, 59.1, 61.05, 43.5}}},
		{"revenue by month", "revenue", Options{},
			[]string{"month", "failed_invoices", "failed_amount", "recovered_amount", "lost_amount", "open_amount"},
			[][]any{
				{"2026-01", int64(2), int64(3000), int64(3000), int64(0), int64(0)},
				{"2026-02", int64(2), int64(9000), int64(0), int64(5000), int64(4000)},
			}},
		{"involuntary churn", "churn", Options{},
			[]string{"month", "active_at_start", "involuntary", "voluntary", "involuntary_amount", "involuntary_churn_rate"},
			[][]any{{"2026-02", int64(3), int64(1), int64(1), int64(5000), 0.3333}}},
		{"retries per recovery", "retries", Options{By: []string{"decline_code"}}, nil,
			[][]any{
				{"do_not_honor", int64(1), int64(1), 1.0, int64(1), int64(1)},
				{"insufficient_funds", int64(1), int64(2), 2.0, int64(2), int64(2)},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), db, tt.query, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.cols != nil && !reflect.DeepEqual(res.Columns, tt.cols) {
				t.Fatalf("columns %v, want %v", res.Columns, tt.cols)
			}
			if !reflect.DeepEqual(res.Rows, tt.rows) {
				t.Fatalf("rows\n%v\nwant\n%v", fmtRows(res.Rows), fmtRows(tt.rows))
			}
		})
	}
}

func fmtRows(rows [][]any) string {
	s := ""
	for _, r := range rows {
		for _, v := range r {
			s += fmt.Sprintf("%T(%v) ", v, v)
		}
		s += "\n"
	}
	return s
}

func TestNamedQueriesRefuseBadOptions(t *testing.T) {
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		query string
		opts  Options
		field string
	}{
		{"recovery", Options{By: []string{"colour"}}, "by"},
		{"recovery", Options{By: []string{"month", "month"}}, "by"},
		{"revenue", Options{By: []string{"local_hour"}}, "by"},
		{"churn", Options{By: []string{"product"}}, "by"},
		{"recovery", Options{From: ts("2026-02-01T00:00:00Z"), To: ts("2026-01-01T00:00:00Z")}, "to"},
		{"nonsense", Options{}, "query"},
	}
	for _, tt := range tests {
		_, err := Run(context.Background(), db, tt.query, tt.opts)
		var ae *ArgumentError
		if !errors.As(err, &ae) || ae.Field != tt.field {
			t.Fatalf("%s %+v: err = %v, want an argument error on %s", tt.query, tt.opts, err, tt.field)
		}
	}
}
