package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
)

func init() {
	var world string
	var opt smartsim.CheckOptions
	var asJSON bool
	var only []string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the backtest against the truth of a simulated world",
		Long: `check records a history of failed invoices in a world under the default
preset (a share of retries explored, their propensities logged, as the engine
does), trains the model on that ledger, backtests each candidate preset (more
retries, smart on, a shorter window, later retries) from the ledger alone, then
replays each candidate on the very same invoices in the world with common
random numbers. It prints, per candidate, the backtest's recovery estimate with
its 95% interval, the truth, whether the interval covers it and the interval's
half-width (issue 6's target: covered, and under 2 points).`,
		Example: `  recoup backtest check                                   # b2c_us, 20,000 failed invoices, 30% explored
  recoup backtest check --world b2b_global --explore 0.05 --json
  recoup backtest check --invoices 5000 --seed 2 --only "smart on"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.Invoices < 100 {
				return fmt.Errorf("--invoices: need at least 100 failed invoices, got %d", opt.Invoices)
			}
			if opt.Explore <= 0 || opt.Explore > 1 {
				return fmt.Errorf("--explore: must be in (0, 1], got %v", opt.Explore)
			}
			if opt.Family != backtest.FamilyMixture && opt.Family != backtest.FamilyLogistic {
				return fmt.Errorf("--outcome: want mixture or logistic, got %q", opt.Family)
			}
			if opt.SmartFamily != "mixture" && opt.SmartFamily != "logistic" {
				return fmt.Errorf("--smart-family: want mixture or logistic, got %q", opt.SmartFamily)
			}
			switch {
			case opt.Refits < 0 || opt.Refits > 200:
				return fmt.Errorf("--refits: must be between 0 and 200, got %d", opt.Refits)
			case opt.Refits == 0:
				opt.Refits = -1 // none
			}
			if opt.Bootstrap < 100 {
				return fmt.Errorf("--bootstrap: need at least 100 replicates, got %d", opt.Bootstrap)
			}
			cands, err := onlyCandidates(only)
			if err != nil {
				return err
			}
			opt.Candidates = cands
			m, err := simulator.OpenWorld(world, datasets.World)
			if err != nil {
				return fmt.Errorf("--world: %w", err)
			}
			ctx := cmd.Context()
			var update func(n, total int64)
			done := func() {}
			stage := ""
			opt.Progress = func(s string, n, total int) {
				if s != stage {
					done()
					stage = s
					update, done = progressBar(ctx, s, int64(total))
				}
				update(int64(n), int64(total))
			}
			rep, err := smartsim.Check(ctx, m, opt)
			done()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printCheck(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&world, "world", "b2c_us", "world: a name in datasets/worlds or a JSON file")
	fl.IntVar(&opt.Invoices, "invoices", 20000, "failed invoices in the recorded history")
	fl.Float64Var(&opt.Explore, "explore", 0.3, "share of the history's retries explored (propensities logged)")
	fl.IntVar(&opt.Bootstrap, "bootstrap", 400, "bootstrap replicates")
	fl.Uint64Var(&opt.Seed, "seed", 9, "seed of the world's draws and the bootstrap")
	fl.IntVar(&opt.Workers, "workers", 2, "goroutines for the backtest and the replays")
	fl.StringVar((*string)(&opt.Family), "outcome", "logistic", "outcome model the backtest replays fixed schedules against: mixture or logistic (the smart candidate is scored by the mixture that plans it)")
	fl.StringVar(&opt.SmartFamily, "smart-family", "mixture", "shipped smart planner that plans the smart candidate: mixture or logistic")
	fl.IntVar(&opt.Refits, "refits", 20, "model refits on the history resampled by customer (0: none)")
	fl.StringSliceVar(&only, "only", nil, "check only these candidates (comma-separated names; default all four)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	backtestCmd.AddCommand(cmd)
}

func printCheck(w io.Writer, r smartsim.CheckReport) {
	fmt.Fprintf(w, "world %s: %d failed invoices under the default preset, %.0f%% of retries explored; model on %d rows (held-out AUC %.3f)\n",
		r.World, r.Invoices, 100*r.Explore, r.TrainRows, r.AUC)
	fmt.Fprintf(w, "outcome model %s, smart candidate planned by the %s planner, %d model refits\n\n", r.Outcome, r.Smart, max(r.Refits, 0))
	fmt.Fprintf(w, "%-16s %-26s %-8s %-8s %-11s %-9s\n", "candidate", "estimate [95% CI]", "truth", "covered", "half-width", "observed")
	for _, c := range r.Candidates {
		est := fmt.Sprintf("%.2f%% [%.2f, %.2f]", c.Estimate.Est, c.Estimate.Lo, c.Estimate.Hi)
		cov := "no"
		if c.Covered {
			cov = "yes"
		}
		fmt.Fprintf(w, "%-16s %-26s %-8s %-8s %-11s %-9s\n", c.Candidate, est, fmt.Sprintf("%.2f%%", c.Truth), cov,
			fmt.Sprintf("%.2f pp", c.HalfWidth), fmt.Sprintf("%.2f%%", c.Observed))
	}
	q := backtest.ModelQuantile(r.Refits)
	fmt.Fprintf(w, "\nhalf-width parts (points): sampling alone, model sd over refits (t·sd, t = %.3f: Student's t, %d refits)\n", q, max(r.Refits, 0))
	for _, c := range r.Candidates {
		fmt.Fprintf(w, "%-16s sampling %.2f, model sd %.2f (%.2f)", c.Candidate, c.SamplingHalfWidth, c.ModelSD, q*c.ModelSD)
		if c.Optimism != nil {
			var raw float64
			for _, v := range c.RefitOptimismRaw {
				raw += v
			}
			if n := len(c.RefitOptimismRaw); n > 0 {
				raw /= float64(n)
			}
			fmt.Fprintf(w, "; optimism %.2f taken off (unanchored %.2f), scoring sd %.2f, optimism sd %.2f, %.0f%% of its invoices through the updated-card fallback", *c.Optimism, raw, c.ScoringSD, c.OptimismSD, 100*c.OptimismFallbackShare)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nmethod: %s\n", r.Method)
}

// onlyCandidates picks the check's candidates named by --only, each once
// and in the order first named; none named is all of them (nil).
func onlyCandidates(only []string) ([]domain.PresetSpec, error) {
	all := smartsim.CheckCandidates()
	var out []domain.PresetSpec
	seen := map[string]bool{}
	for _, name := range only {
		if seen[name] {
			continue
		}
		seen[name] = true
		i := slices.IndexFunc(all, func(c domain.PresetSpec) bool { return c.Name == name })
		if i < 0 {
			names := make([]string, len(all))
			for j, c := range all {
				names[j] = c.Name
			}
			return nil, fmt.Errorf("--only: no candidate named %q (want one of %s)", name, strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}
