package projbench

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/recoupledger/recoup/projections/analytics"
)

// loadRows reads every row of table, in event order.
func loadRows(ctx context.Context, db *analytics.DB, table string) ([][]driver.Value, error) {
	rows, err := db.SQL().QueryContext(ctx, "SELECT * FROM "+table+" ORDER BY pos")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]driver.Value
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]driver.Value, len(cols))
		for i, v := range vals {
			row[i] = v
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// RawAppender is the baseline of the analytics rebuild: it loads the rows
// the projection wrote into src, then times the raw Appender writing them
// into fresh tables at dst in one transaction. events is the number of
// events those rows came from, so the figure is in events/s too.
func RawAppender(ctx context.Context, srcPath, dstPath string, events int) (Measured, error) {
	src, err := analytics.OpenReadOnly(srcPath)
	if err != nil {
		return Measured{}, err
	}
	data := map[string][][]driver.Value{}
	for _, t := range analytics.Tables() {
		if data[t], err = loadRows(ctx, src, t); err != nil {
			src.Close()
			return Measured{}, fmt.Errorf("load %s: %w", t, err)
		}
	}
	src.Close()
	dst, err := analytics.Open(ctx, dstPath, "512MB")
	if err != nil {
		return Measured{}, err
	}
	defer dst.Close()
	conn, err := dst.SQL().Conn(ctx)
	if err != nil {
		return Measured{}, err
	}
	defer conn.Close()

	start := time.Now()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return Measured{}, err
	}
	err = conn.Raw(func(dc any) error {
		for _, t := range analytics.Tables() {
			a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", t)
			if err != nil {
				return err
			}
			for _, row := range data[t] {
				if err := a.AppendRow(row...); err != nil {
					a.Close()
					return fmt.Errorf("append to %s: %w", t, err)
				}
			}
			if err := a.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Measured{}, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return Measured{}, err
	}
	return Measured{Events: events, Elapsed: time.Since(start)}, nil
}

// attemptColumns are the payment_attempts columns RecoveryRows fills; the
// others stay NULL.
var attemptColumns = []string{"pos", "invoice_id", "attempt_number", "amount", "outcome", "decline_code", "occurred_at",
	"case_started_at", "case_decline_code", "case_decline_category", "case_attempt", "first_failure", "is_retry", "recovers"}

// RecoveryRows appends n payment_attempts rows to the analytics database
// at path with the Appender: recovery cases of one to four attempts, a
// third of them recovered, over the decline table's codes.
func RecoveryRows(ctx context.Context, path string, n int) error {
	db, err := analytics.Open(ctx, path, "1GB")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	codes := []struct{ code, category string }{{"insufficient_funds", "insufficient_funds"}, {"do_not_honor", "soft"},
		{"generic_decline", "soft"}, {"expired_card", "card_data"}, {"try_again_later", "soft"}, {"processing_error", "technical"},
		{"stolen_card", "hard"}, {"incorrect_number", "hard"}, {"card_velocity_exceeded", "insufficient_funds"}}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderWithColumns(dc.(driver.Conn), "", "", "payment_attempts", attemptColumns)
		if err != nil {
			return err
		}
		row := make([]driver.Value, len(attemptColumns))
		for i, inv := 0, 0; i < n; inv++ {
			c := codes[rng.IntN(len(codes))]
			attempts := 1 + rng.IntN(4)
			recovered := rng.IntN(3) == 0
			started := t0.Add(time.Duration(inv) * time.Minute)
			id := fmt.Sprintf("in_%09d", inv)
			for k := 1; k <= attempts && i < n; k, i = k+1, i+1 {
				ok := recovered && k == attempts && k > 1
				outcome, code := "failed", any(c.code)
				if ok {
					outcome, code = "succeeded", nil
				}
				row = append(row[:0], uint64(i), id, int32(k), int64(4900), outcome, code, started.Add(time.Duration(k-1)*24*time.Hour),
					started, c.code, c.category, int32(k), k == 1, k > 1, ok)
				if err := a.AppendRow(row...); err != nil {
					a.Close()
					return err
				}
			}
		}
		return a.Close()
	})
}

// RecoveryByCode times the recovery query by decline code on the database
// at path, runs times, and returns the median.
func RecoveryByCode(ctx context.Context, path string, runs int) (time.Duration, analytics.Result, error) {
	db, err := analytics.OpenReadOnly(path)
	if err != nil {
		return 0, analytics.Result{}, err
	}
	defer db.Close()
	var res analytics.Result
	times := make([]time.Duration, 0, runs)
	for range runs {
		start := time.Now()
		if res, err = analytics.Run(ctx, db, "recovery", analytics.Options{By: []string{"decline_code"}}); err != nil {
			return 0, res, err
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times[len(times)/2], res, nil
}
