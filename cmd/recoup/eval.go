package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/simulator"
)

// evalPlanners are planner policies (the smart policy) that other files
// of this command add with registerEvalPlanner in their init functions.
var evalPlanners []simulator.NamedPlanner

// registerEvalPlanner adds a planner policy to every `recoup eval` run;
// the smart policy's file calls it from its init function.
func registerEvalPlanner(p simulator.NamedPlanner) { evalPlanners = append(evalPlanners, p) }

func newEvalCmd() *cobra.Command {
	var (
		world    string
		seed     uint64
		asJSON   bool
		invoices int
		training int
		presets  []string
		budgets  []string
		workers  int
		family   string
	)
	cmd := &cobra.Command{
		Use:   "eval --world FILE|NAME --seed S",
		Short: "Replay retry policies on a simulated world against the Bayes oracle and the clairvoyant bound",
		Long: `eval builds a training and a held-out population of failed invoices from a
world, searches a fixed schedule on the first, and replays every policy on the
second with common random numbers (paired comparisons), at each retry budget:
the evenly spaced schedule, the Metrifox default preset, a Stripe-like 8-in-14
schedule, the searched schedule, any --preset file, registered planners (the
smart policy), the Bayes oracle and the clairvoyant bound. It prints, per budget
and policy, recovery by count and amount, retries per recovery, days to
recovery, churned subscriptions and network-rule violations with 95% intervals,
then each policy's share of the oracle's uplift over the evenly spaced schedule.`,
		Example: `  recoup eval --world b2c_us --seed 1
  recoup eval --world datasets/worlds/b2b_global.json --seed 7 --invoices 5000 --json
  recoup eval --world b2c_us --seed 1 --preset mypreset.json --budget 4/10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := simulator.OpenWorld(world, datasets.World)
			if err != nil {
				return fmt.Errorf("--world: %w", err)
			}
			planners, err := smartFamily(family)
			if err != nil {
				return err
			}
			opt := simulator.EvalOptions{Seed: seed, Invoices: invoices, Training: training, Workers: workers, Planners: planners}
			for _, f := range presets {
				p, err := simulator.LoadPreset(f)
				if err != nil {
					return fmt.Errorf("--preset: %w", err)
				}
				opt.Presets = append(opt.Presets, p)
			}
			for _, s := range budgets {
				b, err := parseBudget(s)
				if err != nil {
					return fmt.Errorf("--budget: %w", err)
				}
				opt.Budgets = append(opt.Budgets, b)
			}
			bars := newSimProgress(os.Stderr)
			opt.Progress = func(b simulator.Budget, done, total int) {
				bars.set("eval "+b.String(), int64(done), int64(total))
			}
			rep, err := simulator.Eval(cmd.Context(), m, opt)
			bars.wait()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&world, "world", "b2c_us", "world file, or the name of a default world ("+strings.Join(datasets.WorldNames(), ", ")+")")
	f.Uint64Var(&seed, "seed", 1, "seed of the populations (same seed, same result)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.IntVar(&invoices, "invoices", 20000, "held-out failed invoices")
	f.IntVar(&training, "training", 4000, "training failed invoices for the fixed-schedule search")
	f.StringArrayVar(&presets, "preset", nil, "preset file (JSON PresetSpec) to evaluate; repeatable")
	f.StringArrayVar(&budgets, "budget", nil, "retry budget RETRIES/DAYS; repeatable (default 3/7 and 8/14)")
	f.IntVar(&workers, "workers", 0, "replay goroutines (default GOMAXPROCS)")
	f.StringVar(&family, "smart-family", "mixture", "smart policy family: mixture (latent-class hazard model), logistic, or both (the mixture as smart-mixture)")
	return cmd
}

// parseBudget reads RETRIES/DAYS.
func parseBudget(s string) (simulator.Budget, error) {
	r, d, ok := strings.Cut(s, "/")
	retries, err1 := strconv.Atoi(r)
	days, err2 := strconv.Atoi(d)
	if !ok || err1 != nil || err2 != nil || retries < 1 || retries > 8 || days < 1 || days > simulator.ReplayHorizon/24 {
		return simulator.Budget{}, fmt.Errorf("%q: want RETRIES/DAYS with 1–8 retries and 1–%d days, e.g. 3/7", s, simulator.ReplayHorizon/24)
	}
	return simulator.Budget{Retries: retries, WindowDays: days}, nil
}

func init() { rootCmd.AddCommand(newEvalCmd()) }
