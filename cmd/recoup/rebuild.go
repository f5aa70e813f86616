package main

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/internal/bench"
	"github.com/recoupledger/recoup/projections"
)

func init() {
	var dir string
	var store *backend.Flags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rebuild [projection...]",
		Short: "Rebuild projections (read models, analytics) from the start of the ledger",
		Long: `rebuild deletes what the named projections hold, checkpoints included, and
projects the whole of $all again. Names: invoices, subscriptions, presets,
cards, readmodel (all four) and analytics; none means all of them. Without
a name the command is also the way to create the projections of a data
directory written by simulate or import.`,
		Example: `  recoup rebuild --data ./data               # everything
  recoup rebuild analytics --data ./data     # only the DuckDB tables
  recoup rebuild invoices cards --data ./data
  recoup rebuild --data ./data --store kurrentdb --kurrentdb-url 'esdb://localhost:2113?tls=false'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStoreFlags(store); err != nil {
				return err
			}
			ctx := cmd.Context()
			// A rebuild streams the whole ledger; a soft heap limit keeps
			// the collector ahead of it (DuckDB's own memory is capped by
			// its memory_limit).
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(512 << 20))
			set, err := openProjections(ctx, store, dir, args)
			if err != nil {
				return err
			}
			defer set.Close()
			head, err := set.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
			if err != nil {
				return fmt.Errorf("read the head of $all: %w", err)
			}
			var total int64
			if len(head) == 1 {
				total = int64(head[0].Position.Commit) + 1
			}
			update, done := progressBar(ctx, "rebuilding (position)", total)
			var applied uint64
			r, err := projections.NewRunner(set.store, projections.Options{
				BatchSize: projections.RebuildBatchSize,
				Progress:  func(last eventstore.Position, n uint64) { applied = n; update(int64(last.Commit)+1, total) },
			}, set.projs...)
			if err != nil {
				done()
				return err
			}
			start := time.Now()
			err = r.Rebuild(ctx)
			done()
			if err != nil {
				return err
			}
			elapsed := time.Since(start)
			if err := set.Close(); err != nil {
				return fmt.Errorf("close projections: %w", err)
			}
			names := make([]string, len(set.projs))
			for i, p := range set.projs {
				names[i] = p.Name()
			}
			row := bench.Result{Name: "rebuild", Value: float64(applied) / elapsed.Seconds(), Unit: "events/s"}
			fmt.Fprintf(cmd.ErrOrStderr(), "rebuilt %v from %d events in %s\n", names, applied, elapsed.Round(time.Millisecond))
			if asJSON {
				return bench.PrintJSON(cmd.OutOrStdout(), []bench.Result{row})
			}
			return bench.PrintTable(cmd.OutOrStdout(), []bench.Result{row})
		},
	}
	cmd.Flags().StringVar(&dir, "data", "", "data directory (events, readmodel, analytics.duckdb)")
	store = addStoreFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	rootCmd.AddCommand(cmd)
}
