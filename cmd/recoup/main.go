// Command recoup is the payment-recovery ledger: simulate, train, serve,
// evaluate and benchmark. Each subcommand lives in its own file and adds
// itself to rootCmd in an init function.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

var logLevel string

var rootCmd = &cobra.Command{
	Use:   "recoup",
	Short: "Recoup is an event-sourced payment-recovery (dunning) ledger",
	Long: `Recoup records every invoice, payment attempt, retry, reminder and outcome
as an immutable event; state, analytics and retry decisions are projections of
that ledger.`,
	Example: `  recoup bench --quick          # measure the event store and other parts
  recoup --log-level debug bench --only store`,
	SilenceUsage:  true,
	SilenceErrors: true,
	PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
		return setupLogging(logLevel)
	},
}

func init() {
	rootCmd.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error (logs go to stderr)")
}

// setupLogging sends structured logs to stderr, so stdout carries only
// results (tables, JSON).
func setupLogging(level string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
	return nil
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "recoup:", err)
		os.Exit(1)
	}
}
