package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

func newSimulateCmd() *cobra.Command {
	var (
		world      string
		customers  int
		days       int
		seed       uint64
		out        string
		presetFile string
		modelFile  string
		step       time.Duration
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "simulate --world FILE|NAME --customers N --days D --seed S --out DIR",
		Short: "Simulate a ledger: subscribers renew, payments fail, and the dunning engine recovers them",
		Long: `simulate writes a simulated history into a fresh data directory (its event
store at DIR/events): the world's customers subscribe and renew, their issuers
answer charges according to the world's hidden recovery processes, cards show
activity and get updated, customers pay after reminders, and the real dunning
engine runs on a virtual clock with the world as its gateway.

The same seed gives the same event log, byte for byte: event IDs, types, data,
stream revisions and the order of $all. World facts and the engine's decisions
are written as multi-stream atomic appends (one synced commit per flush, in a
fixed order), which is also what makes simulate fast. Business times come from
the virtual clock; the store's record times are real and are not part of that
guarantee.

With --model FILE (a model written by recoup train), presets with smart
retries plan with the smart-retry planner over that model, as recoup serve
does; without it they use the engine's heuristic stand-in, which says so on
every retry it schedules (model version heuristic-v1).`,
		Example: `  recoup simulate --world b2c_us --customers 5000 --days 90 --seed 1 --out ./data
  recoup simulate --world datasets/worlds/b2b_global.json --customers 2000 --days 180 --seed 7 --out /tmp/b2b
  recoup simulate --preset smart.json --model ./data/model.json --customers 5000 --days 90 --out ./data-smart`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out: required (a fresh data directory)")
			}
			m, err := simulator.OpenWorld(world, datasets.World)
			if err != nil {
				return fmt.Errorf("--world: %w", err)
			}
			opt := simulator.SimOptions{Seed: seed, Customers: customers, Days: days, Step: step}
			if presetFile != "" {
				p, err := simulator.LoadPreset(presetFile)
				if err != nil {
					return fmt.Errorf("--preset: %w", err)
				}
				opt.Preset = &p.Preset
			}
			var engineOpts []dunning.Option
			if modelFile != "" {
				lm, err := loadModel(modelFile)
				if err != nil {
					return err
				}
				planner := lm.Planner(smartretry.NetworkRules)
				engineOpts = append(engineOpts, dunning.WithPlanner(planner))
				if opt.Preset == nil || !opt.Preset.SmartRetries {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: the preset does not use smart retries, so model %s plans nothing (pass --preset with smart_retries)\n", lm.Version)
				}
			}
			bars := newSimProgress(os.Stderr)
			opt.Progress = func(day, total int) { bars.set("simulate days", int64(day), int64(total)) }
			start := time.Now()
			stats, err := simulator.Simulate(cmd.Context(), m, out, opt, engineOpts...)
			bars.wait()
			if err != nil {
				return err
			}
			el := time.Since(start)
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
					Dir     string             `json:"dir"`
					Seconds float64            `json:"seconds"`
					Stats   simulator.SimStats `json:"stats"`
				}{datadir.New(out).Events(), el.Seconds(), stats})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "simulated %d customers over %d days of world %s (seed %d) into %s in %s\n",
				customers, days, m.W.Name, seed, datadir.New(out).Events(), el.Round(time.Millisecond))
			fmt.Fprintf(cmd.OutOrStdout(), "renewals %d, first-attempt declines %d, charges %d, card activity %d, card updates %d, customer payments %d\n",
				stats.Renewals, stats.Declines, stats.Charges, stats.CardActivity, stats.CardUpdates, stats.CustomerPays)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&world, "world", "b2c_us", "world file, or the name of a default world ("+strings.Join(datasets.WorldNames(), ", ")+")")
	f.IntVar(&customers, "customers", 1000, "number of subscribers")
	f.IntVar(&days, "days", 90, "virtual days to simulate")
	f.Uint64Var(&seed, "seed", 1, "seed (same seed, same events)")
	f.StringVar(&out, "out", "", "fresh data directory to write (its event store goes in DIR/events)")
	f.StringVar(&presetFile, "preset", "", "preset file (JSON PresetSpec) to use as the account default (default: Metrifox's default)")
	f.StringVar(&modelFile, "model", "", "retry model file (written by recoup train): presets with smart retries plan with it")
	f.DurationVar(&step, "step", time.Hour, "virtual clock step: world facts reach the engine at the end of their step (0: exactly)")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func init() { rootCmd.AddCommand(newSimulateCmd()) }
