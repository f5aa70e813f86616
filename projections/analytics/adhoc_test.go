package analytics

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdHocReadsTables(t *testing.T) {
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.AdHoc(context.Background(), `WITH x AS (SELECT invoice_id, count(*) AS n FROM payment_attempts GROUP BY 1)
		SELECT invoice_id, n FROM x ORDER BY invoice_id;`)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 5 || res.Rows[0][0] != "A" || res.Rows[0][1] != int64(3) {
		t.Fatalf("rows %v", res.Rows)
	}
}

// TestAdHocRefusesEverythingButReading runs every forbidden form against
// a read-only database and checks that each is refused with a reason and
// that nothing changed.
func TestAdHocRefusesEverythingButReading(t *testing.T) {
	path := fixtureDB(t)
	secret := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(secret, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	db, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	forbidden := []string{
		"COPY payment_attempts TO '" + out + "'",
		"COPY (SELECT 1) TO '" + out + "' (FORMAT csv)",
		"COPY payment_attempts FROM '" + secret + "'",
		"EXPORT DATABASE '" + filepath.Dir(out) + "'",
		"ATTACH '" + filepath.Join(t.TempDir(), "other.duckdb") + "' AS other",
		"ATTACH ':memory:' AS m",
		"DETACH other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"INSTALL 'https://example.com/evil.duckdb_extension'",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_csv_auto('" + secret + "')",
		"SELECT * FROM read_parquet('" + secret + "')",
		"SELECT * FROM read_json('" + secret + "')",
		"SELECT * FROM read_text('" + secret + "')",
		"SELECT * FROM read_blob('" + secret + "')",
		"SELECT * FROM '" + secret + "'",
		"SELECT * FROM glob('/etc/*')",
		"SELECT * FROM read_csv('https://example.com/data.csv')",
		"SELECT * FROM 'https://example.com/data.parquet'",
		"SELECT * FROM 's3://bucket/data.parquet'",
		"CREATE TABLE x (a INT)",
		"CREATE TEMP TABLE x AS SELECT 1",
		"CREATE VIEW v AS SELECT 1",
		"CREATE MACRO m(a) AS a",
		"INSERT INTO checkpoints VALUES ('x', 1, 1)",
		"UPDATE checkpoints SET commit_pos = 0",
		"DELETE FROM payment_attempts",
		"DROP TABLE payment_attempts",
		"ALTER TABLE invoices ADD COLUMN x INT",
		"TRUNCATE payment_attempts",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"RESET memory_limit",
		"PRAGMA enable_profiling",
		"PRAGMA database_list",
		"CALL pragma_version()",
		"CHECKPOINT",
		"VACUUM",
		"BEGIN TRANSACTION",
		"USE memory",
		"EXPLAIN ANALYZE SELECT 1",
		"SELECT 1; DROP TABLE invoices",
		"SELECT 1; SELECT 2",
		"DELETE FROM payment_attempts; SELECT 1",
	}
	for _, q := range forbidden {
		_, err := db.AdHoc(context.Background(), q)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s\n\terr = %v, want a refusal", q, err)
			continue
		}
		t.Logf("%s\n\t-> %v", q, err)
		if !strings.HasPrefix(err.Error(), "refused: ") || len(err.Error()) < 30 {
			t.Errorf("%s\n\trefusal does not explain itself: %v", q, err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a refused statement wrote %s", out)
	}
	res, err := db.AdHoc(context.Background(), "SELECT count(*) FROM payment_attempts")
	if err != nil || res.Rows[0][0] != int64(9) {
		t.Fatalf("table changed or unreadable: %v %v", res.Rows, err)
	}
}

func TestAdHocBadSQLNamesTheProblem(t *testing.T) {
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"", "   ", "SELEC 1", "SELECT * FROM no_such_table"} {
		_, err := db.AdHoc(context.Background(), q)
		if err == nil || errors.Is(err, ErrRefused) {
			t.Fatalf("%q: err = %v, want a plain error", q, err)
		}
	}
}
