package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/internal/bench"
)

func init() {
	var quick, asJSON bool
	var only, dir string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Recoup's speed against baselines measured in the same run",
		Long: `bench runs the registered benchmark suites. Each row is a figure and, where
one applies, a baseline measured beside it in the same run on the same disk
(for example raw Pebble for the event store), with their ratio. Suites that
use another suite's figure as their baseline run it first.`,
		Example: `  recoup bench --quick                # every suite, short (under 60 s)
  recoup bench --only store.readall   # one figure (and what it depends on)
  recoup bench --json > bench.jsonl   # one {"name","value","unit","baseline","ratio"} per line`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			scratch, err := os.MkdirTemp(dir, "recoup-bench-")
			if err != nil {
				return fmt.Errorf("bench: scratch directory: %w", err)
			}
			defer os.RemoveAll(scratch)
			env := bench.NewEnv(cmd.Context(), scratch, quick, slog.Default())
			rows, runErr := env.Run(only)
			if len(rows) == 0 && runErr == nil {
				return fmt.Errorf("bench: --only %q matches no suite (have %s)", only, strings.Join(bench.Suites(), ", "))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				err = bench.PrintJSON(out, rows)
			} else {
				err = bench.PrintTable(out, rows)
			}
			if runErr != nil {
				return runErr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&quick, "quick", false, "short runs (the whole command within 60 s); noisier figures")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per row instead of a table")
	cmd.Flags().StringVar(&only, "only", "", "run only suites or figures whose name starts with this prefix")
	cmd.Flags().StringVar(&dir, "dir", "", "where to create the scratch directory (default: the system temp dir); pick the disk to measure")
	rootCmd.AddCommand(cmd)
}
