package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/recoupledger/recoup/internal/golden"
)

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
		golden.Check(t, "recovery_by_decline_code."+f, b.Bytes())
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
