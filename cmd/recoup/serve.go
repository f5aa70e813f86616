package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/api"
)

var serveFlags struct {
	data, listen, store, kurrentURL, model string
	rate                                   float64
	burst                                  int
}

var serveCmd = &cobra.Command{
	Use:   "serve",
	Short: "Run the ledger, projections and HTTP API on the wall clock",
	Long: `serve opens the event store, keeps the read models projected from it,
and answers the HTTP API (see GET /openapi.json) until interrupted; on
SIGINT or SIGTERM it stops accepting connections and finishes the requests
in flight (and so their appends) before exiting.

API keys come from the environment, never from flags or files in the data
directory:

  RECOUP_API_KEYS   KEY:SCOPES entries separated by ';', scopes read, write,
                    admin (admin includes read and write); keys of at least
                    16 characters, e.g.
                    RECOUP_API_KEYS='k_ops_3f9a1c7e5b2d4f60:admin;k_billing_8e1d2c3b4a5f6071:read,write'

The retry model is DIR/model.json (written by recoup train); without it the
recommendation and backtest endpoints answer 501.`,
	Example: `  export RECOUP_API_KEYS='k_ops_3f9a1c7e5b2d4f60:admin'
  recoup serve --data ./data --listen 127.0.0.1:8080
  recoup serve --data ./data --store kurrentdb --kurrentdb-url 'esdb://localhost:2113?tls=false'`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error {
		keys, err := api.ParseKeys(os.Getenv(api.EnvAPIKeys))
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		a, err := openApp(ctx, appOptions{data: serveFlags.data, store: serveFlags.store, kurrent: serveFlags.kurrentURL,
			model: serveFlags.model, keys: keys, rateLimit: api.RateLimit{PerSecond: serveFlags.rate, Burst: serveFlags.burst}, log: slog.Default()})
		if err != nil {
			return err
		}
		defer a.close()
		ln, err := net.Listen("tcp", serveFlags.listen)
		if err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
		slog.Info("serving", "addr", "http://"+ln.Addr().String(), "data", serveFlags.data, "store", serveFlags.store)
		return serveUntil(ctx, ln, a)
	},
}

// serveUntil answers HTTP until ctx ends, then shuts down gracefully.
func serveUntil(ctx context.Context, ln net.Listener, a *app) error {
	return api.Serve(ctx, ln, a.server)
}

func init() {
	f := serveCmd.Flags()
	f.StringVar(&serveFlags.data, "data", "./data", "data directory (event store, read models, model.json)")
	f.StringVar(&serveFlags.listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&serveFlags.store, "store", "pebble", "event store: pebble (embedded) or kurrentdb")
	f.StringVar(&serveFlags.model, "model", "", "retry model file (default DIR/model.json)")
	f.StringVar(&serveFlags.kurrentURL, "kurrentdb-url", "", "KurrentDB connection string for --store kurrentdb")
	f.Float64Var(&serveFlags.rate, "rate-limit", api.DefaultRateLimit.PerSecond, "requests per second per API key (0 disables)")
	f.IntVar(&serveFlags.burst, "rate-burst", api.DefaultRateLimit.Burst, "burst size per API key")
	rootCmd.AddCommand(serveCmd)
}
