package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/recoupledger/recoup/api"
	"github.com/recoupledger/recoup/eventstore/backend"
)

var importFlags struct{ data string }

// importStore chooses the event store (--store, --kurrentdb-url).
var importStore *backend.Flags

var importCmd = &cobra.Command{
	Use:   "import FILE",
	Short: "Load a history of ledger commands (NDJSON) into a data directory",
	Long: `import reads FILE, one JSON object per line:

  {"type": "invoice_finalized", "idempotency_key": "optional", "data": {...}}

with the same commands and fields as POST /v1/ledger/{type}
(customer_registered, invoice_finalized, payment_attempted,
payment_method_attached, payment_method_updated, card_activity). Every line
is checked before anything is written: one bad line writes nothing and is
reported as lines[N].field. Lines marked "backfill": true with a past
occurred_at are recorded and projected, but the dunning engine takes no
action on them. Importing the same file again appends nothing new.

The server must not be running on the same data directory (the store is
locked); to import into a running server, POST the file to
/v1/ledger/import.`,
	Example: `  recoup import --data ./data history.ndjson
  curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/x-ndjson' \
       --data-binary @history.ndjson http://127.0.0.1:8080/v1/ledger/import`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		store, err := openEventStore(cmd.Context(), importStore, importFlags.data, false)
		if err != nil {
			return err
		}
		defer store.Close()
		p := mpb.NewWithContext(cmd.Context(), mpb.WithOutput(cmd.ErrOrStderr()), mpb.WithWidth(50))
		var bar *mpb.Bar
		start := time.Now()
		res, err := api.Import(cmd.Context(), store, f, time.Now(), func(done, total int) {
			if bar == nil {
				bar = p.AddBar(int64(total), mpb.PrependDecorators(decor.Name("import "), decor.CountersNoUnit("%d / %d")),
					mpb.AppendDecorators(decor.Percentage()))
			}
			bar.SetCurrent(int64(done))
		})
		if bar != nil {
			bar.SetTotal(-1, true)
		}
		p.Wait()
		if err != nil {
			var p *api.Problem
			if errors.As(err, &p) && len(p.Errors) > 1 {
				for _, fe := range p.Errors {
					fmt.Fprintf(cmd.ErrOrStderr(), "  %s: %s (%s)\n", fe.Param, fe.Detail, fe.Code)
				}
				return fmt.Errorf("import %s: %d failing fields, nothing written", args[0], len(p.Errors))
			}
			return fmt.Errorf("import %s: nothing written: %w", args[0], err)
		}
		slog.Debug("import done", "elapsed", time.Since(start))
		fmt.Fprintf(cmd.OutOrStdout(), "imported %d commands (%d events, %d backfilled) from %s in %s\n",
			res.Lines, res.Events, res.Backfill, args[0], time.Since(start).Round(time.Millisecond))
		return nil
	},
}

func init() {
	importCmd.Flags().StringVar(&importFlags.data, "data", "./data", "data directory")
	importStore = addStoreFlags(importCmd)
	rootCmd.AddCommand(importCmd)
}
