package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/internal/projbench"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// ledgerDir is a data directory holding a small synthetic ledger.
func ledgerDir(t *testing.T, events int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := pebble.Open(datadir.New(dir).Events(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := projbench.Fill(context.Background(), s, events, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRebuildThenQuery(t *testing.T) {
	dir := ledgerDir(t, 4000)
	out, err := runRecoup(t, "rebuild", "--data", dir, "--json")
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"name":"rebuild"`) || !strings.Contains(out, "events/s") {
		t.Fatalf("rebuild summary: %s", out)
	}
	rm, err := readmodel.Open(datadir.New(dir).ReadModel())
	if err != nil {
		t.Fatal(err)
	}
	l, err := rm.Invoices(context.Background(), readmodel.InvoiceFilter{Status: "paid"}, readmodel.Page{Limit: 5})
	rm.Close()
	if err != nil || len(l.Data) != 5 {
		t.Fatalf("paid invoices after rebuild: %+v %v", l, err)
	}

	out, err = runRecoup(t, "query", "recovery", "--by", "decline_code", "--from", "2026-01-01", "--data", dir)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "decline_code") || !strings.HasPrefix(lines[1], "---") ||
		!strings.Contains(out, "insufficient_funds") {
		t.Fatalf("table output:\n%s", out)
	}
	// Aligned: each column's values end where its rule ends.
	rule := lines[1]
	end := strings.Index(rule, "  ") // the end of the first column's rule
	for _, l := range lines[2:] {
		if len(l) <= end || l[end] != ' ' || l[end-1] == ' ' && strings.TrimSpace(l[:end]) == "" {
			t.Fatalf("misaligned:\n%s", out)
		}
	}

	out, err = runRecoup(t, "query", "recovery", "--by", "local_hour,funding", "--format", "json", "--data", dir)
	if err != nil {
		t.Fatalf("query json: %v\n%s", err, out)
	}
	var res struct {
		Unit string           `json:"unit"`
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Unit != "retry attempts" || len(res.Rows) == 0 {
		t.Fatalf("json output %v: %s", err, out)
	}

	out, err = runRecoup(t, "query", "--sql", "SELECT count(*) AS n FROM payment_attempts", "--format", "csv", "--data", dir)
	if err != nil || !strings.HasPrefix(out, "n\n") {
		t.Fatalf("sql csv: %v\n%s", err, out)
	}

	pq := filepath.Join(t.TempDir(), "rev.parquet")
	if out, err = runRecoup(t, "query", "revenue", "--format", "parquet", "--out", pq, "--data", dir); err != nil {
		t.Fatalf("parquet: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(pq); err != nil || len(b) < 8 || string(b[:4]) != "PAR1" {
		t.Fatalf("parquet file: %v", err)
	}
}

func TestQueryRefusals(t *testing.T) {
	dir := ledgerDir(t, 500)
	if out, err := runRecoup(t, "rebuild", "analytics", "--data", dir); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"query", "--sql", "DROP TABLE invoices", "--data", dir}, "refused"},
		{[]string{"query", "--sql", "COPY invoices TO '/tmp/x.csv'", "--data", dir}, "refused"},
		{[]string{"query", "--sql", "SELECT * FROM read_csv('/etc/passwd')", "--data", dir}, "refused"},
		{[]string{"query", "recovery", "--by", "colour", "--data", dir}, "by"},
		{[]string{"query", "recovery", "--format", "xml", "--data", dir}, "--format"},
		{[]string{"query", "recovery", "--from", "yesterday", "--data", dir}, "--from"},
		{[]string{"query", "recovery", "--sql", "SELECT 1", "--data", dir}, "--sql"},
		{[]string{"query", "--data", dir}, "name a query"},
		{[]string{"query", "recovery"}, "--data"},
		{[]string{"rebuild", "everything", "--data", dir}, "unknown"},
	}
	for _, tt := range tests {
		out, err := runRecoup(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want one mentioning %q\n%s", tt.args, err, tt.want, out)
		}
	}
}
