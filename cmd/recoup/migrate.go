package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/eventstore/migration"
)

func init() {
	var from, to string
	var pageSize int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate --from KIND:TARGET --to KIND:TARGET",
		Short: "Copy the event store into another one (Pebble to KurrentDB or back)",
		Long: `migrate copies every stream, in $all order, with the original event IDs,
stream revisions, types, data and metadata, then each stream's metadata,
soft deletes and tombstones. KIND is pebble (TARGET a directory) or kurrentdb
(TARGET a connection string).

An interrupted copy is resumed by running the same command again: the
destination holds a prefix of the source's $all, and the copy continues after
its last event without writing anything twice. A destination holding anything
else is refused. Stop writers to the source while copying; a later run copies
what was added meanwhile.`,
		Example: `  recoup migrate --from pebble:./data/events --to kurrentdb:esdb://localhost:2113?tls=false
  recoup migrate --from kurrentdb:esdb://node1:2113,node2:2113,node3:2113?tls=false --to pebble:./restored/events`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			src, dst, err := migrateSpecs(from, to)
			if err != nil {
				return err
			}
			rep, err := runMigrate(cmd.Context(), src, dst, pageSize, progressOutput(cmd.ErrOrStderr()))
			if err != nil {
				return fmt.Errorf("migrate %s → %s: %w", src, dst, err)
			}
			return printMigrateReport(cmd.OutOrStdout(), src, dst, rep, asJSON)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source store, KIND:TARGET (pebble:DIR or kurrentdb:URL)")
	cmd.Flags().StringVar(&to, "to", "", "destination store, KIND:TARGET (pebble:DIR or kurrentdb:URL)")
	cmd.Flags().IntVar(&pageSize, "page-size", migration.DefaultPageSize, "events read from the source at a time (also the largest append)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	rootCmd.AddCommand(cmd)
}

func migrateSpecs(from, to string) (src, dst backend.Spec, err error) {
	if from == "" || to == "" {
		return src, dst, eventstore.Invalid("migrate", "", "from/to", "both --from and --to are required, e.g. --from pebble:./data/events --to kurrentdb:esdb://localhost:2113?tls=false")
	}
	if src, err = backend.ParseSpec(from); err != nil {
		return src, dst, fmt.Errorf("--from: %w", err)
	}
	if dst, err = backend.ParseSpec(to); err != nil {
		return src, dst, fmt.Errorf("--to: %w", err)
	}
	if src == dst {
		return src, dst, eventstore.Invalid("migrate", "", "to", "the destination is the source")
	}
	return src, dst, nil
}

func runMigrate(ctx context.Context, src, dst backend.Spec, pageSize int, bar io.Writer) (migration.Report, error) {
	if pageSize <= 0 {
		return migration.Report{}, eventstore.Invalid("migrate", "", "page-size", "must be positive")
	}
	in, err := src.Open(ctx)
	if err != nil {
		return migration.Report{}, fmt.Errorf("open the source: %w", err)
	}
	defer in.Close()
	out, err := dst.Open(ctx)
	if err != nil {
		return migration.Report{}, fmt.Errorf("open the destination: %w", err)
	}
	defer out.Close()
	show := newMigrateProgress(ctx, bar)
	rep, err := migration.Copy(ctx, in, out, migration.Options{PageSize: pageSize, Progress: show.update})
	show.finish(err == nil)
	return rep, err
}

// progressOutput is where the progress bar goes: stderr when it is a
// terminal, nowhere otherwise (logs and pipes get the final report only).
func progressOutput(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

// migrateProgress draws the copy's progress: the fraction of the
// source's $all positions copied, events appended and streams seen.
type migrateProgress struct {
	p      *mpb.Progress
	bar    *mpb.Bar
	events atomic.Uint64
	phase  atomic.Value // string
}

func newMigrateProgress(ctx context.Context, w io.Writer) *migrateProgress {
	m := &migrateProgress{}
	m.phase.Store("events")
	if w == nil {
		return m
	}
	m.p = mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(40))
	m.bar = m.p.AddBar(0,
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return "copy " + m.phase.Load().(string) }, decor.WCSyncSpaceR), decor.Percentage(decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%d events", m.events.Load()) }, decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
	)
	return m
}

func (m *migrateProgress) update(p migration.Progress) {
	m.events.Store(p.Events)
	m.phase.Store(p.Phase)
	if m.bar == nil {
		if p.Phase == "streams" && p.Streams > 0 {
			slog.Debug("migrate: streams", "done", p.Streams)
		}
		return
	}
	m.bar.SetTotal(int64(p.Head.Commit), false)
	m.bar.SetCurrent(int64(p.Position.Commit))
}

func (m *migrateProgress) finish(ok bool) {
	if m.p == nil {
		return
	}
	if ok {
		m.bar.SetTotal(-1, true)
	} else {
		m.bar.Abort(false)
	}
	m.p.Wait()
}

func printMigrateReport(w io.Writer, src, dst backend.Spec, rep migration.Report, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{
			"from": src.String(), "to": dst.String(), "resumed": rep.Resumed, "events": rep.Events,
			"streams": rep.Streams, "metadata": rep.Metadata, "deleted": rep.Deleted, "tombstoned": rep.Tombstoned,
		})
	}
	verb := "copied"
	if rep.Resumed {
		verb = "resumed and copied"
	}
	_, err := fmt.Fprintf(w, "%s → %s: %s %d events; %d streams (%d with metadata, %d soft-deleted, %d tombstoned)\n",
		src, dst, verb, rep.Events, rep.Streams, rep.Metadata, rep.Deleted, rep.Tombstoned)
	return err
}
