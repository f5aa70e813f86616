package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/analytics"
)

type queryFlags struct {
	dir, sql, format, out, from, to string
	by                              []string
	catchUp, list                   bool
	store                           *backend.Flags
}

func init() {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query [name]",
		Short: "Answer recovery questions from the DuckDB analytics, or run read-only SQL",
		Long: `query runs a named analytics query or one read-only SQL query against
DIR/analytics.duckdb and prints an aligned table, CSV, JSON or Parquet.

Named queries: recovery, time_to_recovery, revenue, churn, retries (--list
describes them). --by groups by decline_code, decline_category, funding,
network, country, customer_country, product, preset, month (the recovery
case: the invoice's first failure) or attempt_number, local_hour, weekday,
source (the attempt). --from/--to select cases whose first failure falls in
[from, to).

--sql runs one SELECT (or WITH ... SELECT) on a read-only connection with
external access disabled and the configuration locked: statements that
write, attach, install or load extensions, change settings or touch files
or the network are refused.

Before answering, the analytics are caught up with the ledger unless
--catch-up=false (or another process holds the data directory).`,
		Example: `  recoup query recovery --by decline_code --from 2026-01-01 --data ./data
  recoup query recovery --by local_hour,funding --format csv --data ./data
  recoup query time_to_recovery --by preset --format json --data ./data
  recoup query --sql "SELECT decline_code, count(*) FROM payment_attempts GROUP BY 1" --data ./data
  recoup query revenue --format parquet --out revenue.parquet --data ./data`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runQuery(cmd.Context(), cmd.OutOrStdout(), f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "data", "", "data directory (events, readmodel, analytics.duckdb)")
	f.store = addStoreFlags(cmd)
	fl.StringVar(&f.sql, "sql", "", "run this read-only SQL instead of a named query")
	fl.StringSliceVar(&f.by, "by", nil, "dimensions to group by, comma separated")
	fl.StringVar(&f.from, "from", "", "first failure on or after this date (2006-01-02 or RFC 3339)")
	fl.StringVar(&f.to, "to", "", "first failure before this date (2006-01-02 or RFC 3339)")
	fl.StringVar(&f.format, "format", "table", "output: table, csv, json or parquet")
	fl.StringVar(&f.out, "out", "", "write to this file instead of stdout (advised for parquet)")
	fl.BoolVar(&f.catchUp, "catch-up", true, "project new ledger events into the analytics first")
	fl.BoolVar(&f.list, "list", false, "describe the named queries and dimensions")
	rootCmd.AddCommand(cmd)
}

func runQuery(ctx context.Context, stdout io.Writer, f queryFlags, args []string) error {
	if f.list {
		for _, q := range analytics.Queries {
			fmt.Fprintf(stdout, "%-17s %s\n", q.Name, q.Doc)
		}
		fmt.Fprintf(stdout, "\ndimensions (--by): %s\n", strings.Join(analytics.Dimensions(), ", "))
		return nil
	}
	opts, err := f.options(args)
	if err != nil {
		return err
	}
	if f.dir == "" {
		return errors.New("--data: a data directory is required")
	}
	path := datadir.New(f.dir).Analytics()
	if f.catchUp {
		if err := checkStoreFlags(f.store); err != nil {
			return err // a mistaken store flag is an error, not a warning
		}
		if err := catchUpAnalytics(ctx, f.store, f.dir); err != nil {
			slog.Warn("query: analytics not caught up; answering from what is projected", "err", err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--data: no analytics database at %s; run `recoup rebuild analytics --data %s`", path, f.dir)
	}
	db, err := analytics.OpenReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	var res analytics.Result
	if f.sql != "" {
		res, err = db.AdHoc(ctx, f.sql)
	} else {
		res, err = analytics.Run(ctx, db, args[0], opts)
	}
	if err != nil {
		return err
	}
	return writeResult(ctx, stdout, res, f)
}

func (f queryFlags) options(args []string) (analytics.Options, error) {
	var o analytics.Options
	switch {
	case f.sql != "" && len(args) > 0:
		return o, fmt.Errorf("--sql: give either a query name (%s) or --sql, not both", args[0])
	case f.sql == "" && len(args) == 0:
		return o, errors.New("query: name a query (recovery, time_to_recovery, revenue, churn, retries) or pass --sql; --list describes them")
	case f.sql != "" && (len(f.by) > 0 || f.from != "" || f.to != ""):
		return o, errors.New("--sql: --by, --from and --to apply to named queries only")
	}
	var err error
	if o.From, err = parseDate("--from", f.from); err != nil {
		return o, err
	}
	if o.To, err = parseDate("--to", f.to); err != nil {
		return o, err
	}
	o.By = f.by
	return o, nil
}

func parseDate(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: %q is not a date (2006-01-02) or an RFC 3339 time", flag, s)
}

func writeResult(ctx context.Context, stdout io.Writer, res analytics.Result, f queryFlags) error {
	w := stdout
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Close()
		w = file
	}
	if err := res.Write(ctx, w, f.format); err != nil {
		var ae *analytics.ArgumentError
		if errors.As(err, &ae) && ae.Field == "format" {
			return fmt.Errorf("--format: %s", ae.Rule)
		}
		return err
	}
	if file, ok := w.(*os.File); ok && f.out != "" {
		return file.Close()
	}
	return nil
}

// catchUpAnalytics projects new ledger events into the analytics
// database, if the data directory has a ledger and nobody holds it.
func catchUpAnalytics(ctx context.Context, store *backend.Flags, dir string) error {
	set, err := openProjections(ctx, store, dir, []string{analytics.Name})
	if err != nil {
		return err
	}
	defer set.Close()
	r, err := projections.NewRunner(set.store, projections.Options{}, set.projs...)
	if err != nil {
		return err
	}
	if err := r.CatchUp(ctx); err != nil {
		return err
	}
	return set.Close()
}
