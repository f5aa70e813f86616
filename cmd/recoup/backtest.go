package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/smartretry"
)

// backtestCmd is a package variable so that its subcommands (check) can
// attach to it from their own files' init.
var backtestCmd = &cobra.Command{Use: "backtest"}

func init() {
	var dir, model, candidate, baseline, outcome string
	var store *backend.Flags
	var boot, refits int
	var seed uint64
	var asJSON bool
	cmd := backtestCmd
	*cmd = cobra.Command{
		Use:   "backtest",
		Short: "Estimate what a preset change would have done to the ledger's failed invoices",
		Long: `backtest replays every failed invoice of the ledger under a candidate preset
against the fitted smart-retry model (direct method; a mixture model file's
logistic model scores, and its latent-class planner plans a smart candidate), with the customer's own
payments modelled from the same ledger, and compares it with the baseline: the
presets the runs actually used (observed) or another preset file. Against the
observed baseline, each invoice's estimate is anchored on its logged run (its
observed outcome minus the model's prediction along the retries actually made,
over the hours both runs share). Where the engine logged propensities for
explored retries, a doubly robust recovery rate is reported beside it.
Intervals are 95% bootstrap intervals over customers (each drawn with all its
invoices, which move together), widened by the spread of
the estimate over --refits refits of the model on the ledger resampled by
customer (the mixture on half the customers): the model's own uncertainty,
counted as Student's t quantile (refits − 1 degrees of freedom) times that
spread, since the spread is itself estimated from the refits.`,
		Example: `  recoup backtest --data ./data --candidate more-retries.json
  recoup backtest --data ./data --candidate smart.json --baseline default.json --json
  recoup backtest --store kurrentdb --kurrentdb-url 'esdb://localhost:2113?tls=false' --model model.json --candidate more-retries.json
  recoup backtest check --world b2c_us --invoices 20000   # the estimator against a simulated truth`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkStoreFlags(store); err != nil {
				return err
			}
			if candidate == "" {
				return fmt.Errorf("--candidate: a preset file is required")
			}
			if boot < 100 {
				return fmt.Errorf("--bootstrap: need at least 100 replicates, got %d", boot)
			}
			if outcome != string(backtest.FamilyLogistic) && outcome != string(backtest.FamilyMixture) {
				return fmt.Errorf("--outcome: want logistic or mixture, got %q", outcome)
			}
			if refits < 0 || refits > 200 {
				return fmt.Errorf("--refits: must be between 0 and 200, got %d", refits)
			}
			cand, err := readPreset("candidate", candidate)
			if err != nil {
				return err
			}
			var base *domain.PresetSpec
			if baseline != "" {
				b, err := readPreset("baseline", baseline)
				if err != nil {
					return err
				}
				base = &b
			}
			ctx := cmd.Context()
			l, err := openLedger(ctx, store, dir)
			if err != nil {
				return err
			}
			if model == "" {
				if dir == "" {
					return fmt.Errorf("--model: a model file is required without --data")
				}
				model = defaultModelPath(dir)
			}
			var lm *smartretry.Loaded
			if _, statErr := os.Stat(model); statErr == nil {
				if lm, err = loadModel(model); err != nil {
					return err
				}
			} else {
				// No model yet: fit one on this ledger, as train would.
				if lm, err = smartretry.TrainFamily(ctx, l, smartretry.FamilyMixture, smartretry.TrainOptions{}, dir); err != nil {
					return fmt.Errorf("--model: %s does not exist and fitting one failed: %w", model, err)
				}
			}
			// The logistic model (a mixture file's fallback) scores; the
			// file's planner, of its family, plans a smart candidate.
			update, done := progressBar(ctx, "backtest", 0)
			res, err := backtest.Run(ctx, backtest.Config{Ledger: l, Scorer: lm.Logistic, Mixture: lm.Mixture, Planner: backtest.ShippedPlanner(lm.Objective(), smartretry.NetworkRules),
				Rules: smartretry.NetworkRules, Candidate: cand, Baseline: base, Bootstrap: boot, Seed: seed, Refits: refits,
				Family: backtest.Family(outcome), Progress: func(n, total int) { update(int64(n), int64(total)) }})
			done()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printBacktest(w, cand, res)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "data", "", "data directory holding the ledger (required with the embedded store)")
	store = addStoreFlags(cmd)
	fl.StringVar(&model, "model", "", "model file (default DATA/model.json; fitted on the ledger if absent)")
	fl.StringVar(&candidate, "candidate", "", "preset file (JSON, as the presets API takes) to evaluate (required)")
	fl.StringVar(&baseline, "baseline", "", "preset file to compare against (default: the presets the runs used)")
	fl.IntVar(&boot, "bootstrap", 1000, "bootstrap replicates")
	fl.IntVar(&refits, "refits", 20, "model refits on the ledger resampled by customer, whose spread (times Student's t quantile with refits-1 degrees of freedom) widens the intervals (0: sampling only)")
	fl.Uint64Var(&seed, "seed", 1, "bootstrap seed")
	fl.StringVar(&outcome, "outcome", "logistic", "outcome model fixed schedules are replayed against: logistic (the deployed model, recalibrated) or mixture (the latent-class mixture, fitted on the ledger); a smart candidate planned by a deployed mixture is scored by that mixture")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}

// readPreset reads and validates a preset file.
func readPreset(flag, path string) (domain.PresetSpec, error) {
	var p domain.PresetSpec
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("--%s: %w", flag, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("--%s: %s: %w", flag, path, err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("--%s: %s: %w", flag, path, err)
	}
	return p, nil
}

func printBacktest(w io.Writer, cand domain.PresetSpec, r backtest.Result) {
	fmt.Fprintf(w, "failed invoices: %d   model %s   candidate %q vs %s baseline\n\n", r.Invoices, r.ModelVersion, cand.Name, r.BaselineKind)
	fmt.Fprintf(w, "%-26s %-24s %-24s %-24s\n", "metric", "candidate", "baseline", "difference")
	row := func(name string, c, b, d backtest.Interval, format string) {
		cell := func(i backtest.Interval) string {
			return fmt.Sprintf(format+" ["+format+", "+format+"]", i.Est, i.Lo, i.Hi)
		}
		fmt.Fprintf(w, "%-26s %-24s %-24s %-24s\n", name, cell(c), cell(b), cell(d))
	}
	row("invoices recovered %", r.Candidate.RecoveredPct, r.Baseline.RecoveredPct, r.Difference.RecoveredPct, "%.1f")
	row("amount recovered %", r.Candidate.AmountPct, r.Baseline.AmountPct, r.Difference.AmountPct, "%.1f")
	row("retries per recovered", r.Candidate.RetriesPerRecovered, r.Baseline.RetriesPerRecovered, r.Difference.RetriesPerRecovered, "%.2f")
	row("days to recovery", r.Candidate.DaysToRecovery, r.Baseline.DaysToRecovery, r.Difference.DaysToRecovery, "%.2f")
	row("subscriptions churned", r.Candidate.Churned, r.Baseline.Churned, r.Difference.Churned, "%.0f")
	if r.ModelRefits > 1 {
		fmt.Fprintf(w, "\nmodel uncertainty: the candidate's recovery rate moves by %.2f points (sd) over %d refits of the model; included in the intervals\n", r.ModelSD, r.ModelRefits)
	}
	if r.DR != nil {
		fmt.Fprintf(w, "\ndoubly robust recovery on the %d invoices with logged propensities: %.1f%% [%.1f, %.1f] (direct method on the same: %.1f%%)\n",
			r.DRInvoices, r.DR.Est, r.DR.Lo, r.DR.Hi, r.DRDirect.Est)
	}
}
