package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/smartretry"
)

func init() {
	var dir, out string
	var store *backend.Flags
	var lambda, testShare float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Fit the smart-retry model on a ledger's payment attempts",
		Long: `train reads every event of the data directory's ledger, turns each retry
after a failed payment into a row (features known when the retry was planned,
labelled by its outcome), fits the logistic hazard model on 80% of invoices
and reports log-loss, Brier score, AUC and calibration by decile on the other
20%. The model file is versioned JSON.`,
		Example: `  recoup train --data ./data --out ./data/model.json
  recoup train --data ./data --json
  recoup train --store kurrentdb --kurrentdb-url 'esdb://localhost:2113?tls=false' --out model.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStoreFlags(store); err != nil {
				return err
			}
			if lambda < 0 {
				return fmt.Errorf("--lambda: must be ≥ 0, got %g", lambda)
			}
			if testShare <= 0 || testShare >= 1 {
				return fmt.Errorf("--test-share: must be between 0 and 1, got %g", testShare)
			}
			if out == "" {
				if dir == "" {
					return fmt.Errorf("--out: where to write the model is required without --data")
				}
				out = defaultModelPath(dir)
			}
			ctx := cmd.Context()
			l, err := openLedger(ctx, store, dir)
			if err != nil {
				return err
			}
			rows := l.Rows()
			m, sum, err := smartretry.Train(ctx, rows, smartretry.TrainOptions{Fit: smartretry.FitOptions{Lambda: lambda}, TestShare: testShare})
			if err != nil {
				return err
			}
			sum.Invoices, sum.DataSource = len(l.Invoices), dir
			f := smartretry.NewModelFile(m, sum)
			f.ReminderValue = smartretry.EstimateReminderValue(l)
			if err := smartretry.WriteModel(out, f); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"model": out, "model_version": f.ModelVersion, "training": sum})
			}
			fmt.Fprintf(w, "model %s written to %s\n", f.ModelVersion, out)
			printMetrics(w, sum)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "data", "", "data directory holding the ledger (required with the embedded store)")
	store = addStoreFlags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "model file to write (default DATA/model.json)")
	cmd.Flags().Float64Var(&lambda, "lambda", smartretry.DefaultLambda, "L2 penalty on standardised weights")
	cmd.Flags().Float64Var(&testShare, "test-share", 0.2, "share of invoices held out for the metrics")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the training summary as JSON")
	rootCmd.AddCommand(cmd)
}
