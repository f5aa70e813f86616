package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (run with -update after checking):\n%s", path, got)
	}
}

func TestFormats(t *testing.T) {
	ctx := context.Background()
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := Run(ctx, db, "recovery", Options{By: []string{"decline_code"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"table", "csv", "json"} {
		var b bytes.Buffer
		if err := res.Write(ctx, &b, f); err != nil {
			t.Fatal(err)
		}
		golden(t, "recovery_by_decline_code."+f, b.Bytes())
	}
	var decoded struct {
		Rows []map[string]any `json:"rows"`
	}
	var b bytes.Buffer
	_ = res.Write(ctx, &b, "json")
	if err := json.Unmarshal(b.Bytes(), &decoded); err != nil || decoded.Rows[2]["recovery_rate"] != 0.5 {
		t.Fatalf("json rows %v %v", decoded.Rows, err)
	}
	if err := res.Write(ctx, &b, "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestParquetRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := Run(ctx, db, "revenue", Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Write(ctx, f, "parquet"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw := sql.OpenDB(c)
	defer raw.Close()
	var month string
	var lost, open int64
	err = raw.QueryRow(`SELECT month, lost_amount, open_amount FROM read_parquet(?) WHERE month = '2026-02'`, path).Scan(&month, &lost, &open)
	if err != nil || lost != 5000 || open != 4000 {
		t.Fatalf("parquet row %s %d %d %v", month, lost, open, err)
	}
}
