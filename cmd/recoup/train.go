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
	var family string
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Fit the smart-retry model on a ledger's payment attempts",
		Long: `train reads every event of the data directory's ledger and fits a model of
one of two families, then writes the model file (versioned JSON) that serve,
recommend, simulate --model, backtest and the demo plan with.

  mixture   (default) the latent-class hazard model: each failed invoice
            belongs to a hidden class (a pay schedule, a cure speed, a dead
            card) whose chance of success depends on the attempt's time; EM
            over the failed invoices' attempt sequences. It is what recoup
            eval measures as smart. The file also holds a logistic model,
            which plans invoices whose card was updated and which backtests
            score with.
  logistic  the logistic hazard model alone: each retry after a failure is
            a row (features known when it was planned, labelled by its
            outcome).

Metrics are reported on held-out data: log-loss, Brier score, AUC and
calibration by decile. The logistic model holds out --test-share of invoices
(by a hash of the invoice ID); the mixture holds out every round(1/share)-th
failed invoice for its metrics, then refits on all.`,
		Example: `  recoup train --data ./data --out ./data/model.json
  recoup train --data ./data --family logistic --json
  recoup train --store kurrentdb --kurrentdb-url 'esdb://localhost:2113?tls=false' --out model.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStoreFlags(store); err != nil {
				return err
			}
			if lambda < 0 {
				return fmt.Errorf("--lambda: must be ≥ 0, got %g", lambda)
			}
			if family != smartretry.FamilyMixture && family != smartretry.FamilyLogistic {
				return fmt.Errorf("--family: %q is not a model family (mixture or logistic)", family)
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
			lm, err := smartretry.TrainFamily(ctx, l, family, smartretry.TrainOptions{Fit: smartretry.FitOptions{Lambda: lambda}, TestShare: testShare}, dir)
			if err != nil {
				return err
			}
			if err := lm.Write(out); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			sum := lm.LogisticFile.Summary
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				doc := map[string]any{"model": out, "family": lm.Family, "model_version": lm.Version, "training": sum}
				if mf := lm.MixtureFile; mf != nil {
					// training stays the logistic model's summary (here the
					// fallback's), as for the logistic family.
					doc["mixture"] = map[string]any{"training": mf.Training, "test": lm.Mixture.Test, "deposit_hour": lm.Mixture.DepositHour,
						"fallback_version": lm.Logistic.Version()}
				}
				return enc.Encode(doc)
			}
			fmt.Fprintf(w, "%s model %s written to %s\n", lm.Family, lm.Version, out)
			if mf := lm.MixtureFile; mf != nil {
				fmt.Fprintf(w, "\nlatent-class mixture: %d failed invoices, every %dth held out; pay deposits at %02d:00 local\n",
					mf.Training.Sequences, mf.Training.HoldOut, lm.Mixture.DepositHour)
				printHeldOut(w, lm.Mixture.Test)
				fmt.Fprintf(w, "\nlogistic model %s (plans invoices whose card was updated; backtests score with it):\n", lm.Logistic.Version())
			}
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
	cmd.Flags().StringVar(&family, "family", smartretry.FamilyMixture, "model family: mixture (latent classes, with a logistic fallback) or logistic")
	rootCmd.AddCommand(cmd)
}
