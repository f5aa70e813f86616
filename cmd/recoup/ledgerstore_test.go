package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// Every subcommand that reads the ledger takes the store flags, as serve
// does, and refuses a mistaken choice before doing anything else.
func TestLedgerCommandsRefuseBadStoreFlags(t *testing.T) {
	dir := t.TempDir()
	commands := [][]string{
		{"train", "--data", dir},
		{"backtest", "--data", dir, "--candidate", filepath.Join(dir, "preset.json")},
		{"recommend", "--data", dir, "--invoice", "in_1"},
		{"rebuild", "--data", dir},
		{"query", "recovery", "--data", dir},
	}
	for _, args := range commands {
		t.Run(args[0], func(t *testing.T) {
			for _, tc := range []struct {
				flags []string
				want  string
			}{
				{[]string{"--store", "kurrentdb"}, "kurrentdb-url: is required with --store kurrentdb"},
				{[]string{"--store", "mysql"}, "mysql"},
				{[]string{"--store", "pebble", "--kurrentdb-url", "esdb://localhost:2113"}, "kurrentdb-url: only applies to --store kurrentdb"},
			} {
				out, err := runRecoup(t, append(append([]string(nil), args...), tc.flags...)...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%v %v: err %v, want %q\n%s", args, tc.flags, err, tc.want, out)
				}
			}
		})
	}
}

// The same ledger read through --store pebble (the data directory's
// embedded store) and through --store kurrentdb (the KurrentDB protocol
// double serving that store over gRPC) rebuilds the same read models and
// trains the same model.
func TestLedgerCommandsOnEitherStore(t *testing.T) {
	local := ledgerDir(t, 3000)
	out, err := runRecoup(t, "rebuild", "--data", local, "--store", "pebble", "--json")
	if err != nil {
		t.Fatalf("rebuild --store pebble: %v\n%s", err, out)
	}
	out, err = runRecoup(t, "query", "recovery", "--by", "decline_code", "--data", local, "--store", "pebble", "--format", "csv")
	if err != nil || !strings.HasPrefix(out, "decline_code,") {
		t.Fatalf("query --store pebble: %v\n%s", err, out)
	}
	trainLocal, errLocal := runRecoup(t, "train", "--data", local, "--store", "pebble", "--json")

	backing, err := pebble.Open(datadir.New(local).Events(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer backing.Close()
	srv, err := kurrenttest.Start(backing)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	remote := t.TempDir() // projections only: the events stay on the server
	out, err = runRecoup(t, "rebuild", "--data", remote, "--store", "kurrentdb", "--kurrentdb-url", srv.URL(), "--json")
	if err != nil {
		t.Fatalf("rebuild --store kurrentdb: %v\n%s", err, out)
	}
	if got, want := countInvoices(t, remote), countInvoices(t, local); got != want || got == 0 {
		t.Fatalf("invoices rebuilt through KurrentDB %d, from the embedded store %d", got, want)
	}
	trainRemote, errRemote := runRecoup(t, "train", "--store", "kurrentdb", "--kurrentdb-url", srv.URL(), "--out", filepath.Join(remote, "model.json"), "--json")
	if errLocal != nil || errRemote != nil {
		t.Fatalf("train: embedded store %v, KurrentDB %v\n%s\n%s", errLocal, errRemote, trainLocal, trainRemote)
	}
	if a, b := modelVersionOf(t, trainLocal), modelVersionOf(t, trainRemote); a != b {
		t.Fatalf("model trained from the embedded store %s, through KurrentDB %s", a, b)
	}
}

func countInvoices(t *testing.T, dir string) int {
	t.Helper()
	rm, err := readmodel.Open(datadir.New(dir).ReadModel())
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	n := 0
	page := readmodel.Page{Limit: readmodel.MaxLimit}
	for {
		l, err := rm.Invoices(context.Background(), readmodel.InvoiceFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		n += len(l.Data)
		if !l.HasMore || len(l.Data) == 0 {
			return n
		}
		page.StartingAfter = l.Data[len(l.Data)-1].ID
	}
}

func modelVersionOf(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, `"model_version"`)
	if i < 0 {
		t.Fatalf("no model_version in %s", out)
	}
	rest := out[i+len(`"model_version"`):]
	rest = rest[strings.Index(rest, `"`)+1:]
	return rest[:strings.Index(rest, `"`)]
}
