package api

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/analytics"
)

// withAnalytics wires a real DuckDB analytics database, locked down as
// `recoup serve` does, and a runner the test drives.
func withAnalytics(t *testing.T, runner **projections.Runner) harnessOption {
	return func(c *Config) {
		db, err := analytics.Open(t.Context(), filepath.Join(t.TempDir(), "analytics.duckdb"), "256MB")
		if err != nil {
			t.Fatal(err)
		}
		if err := LockDownAnalytics(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		proj, err := analytics.NewProjection(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = proj.Close(); _ = db.Close() })
		r, err := projections.NewRunner(c.Store, projections.Options{}, proj)
		if err != nil {
			t.Fatal(err)
		}
		*runner = r
		c.Analytics = db
	}
}

type resultBody struct {
	Object    string           `json:"object"`
	Query     string           `json:"query"`
	Columns   []string         `json:"columns"`
	Rows      []map[string]any `json:"rows"`
	Truncated bool             `json:"truncated"`
}

func TestAnalytics(t *testing.T) {
	var runner *projections.Runner
	h := newHarness(t, withAnalytics(t, &runner))
	seedFailures(t, h, 9) // 3 of 9 recovered
	if err := runner.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := h.get("/v1/analytics/queries", readKey)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"name":"recovery"`) {
		t.Fatalf("queries %s", r.body)
	}
	r = h.get("/v1/analytics/queries/recovery?by=decline_code", readKey)
	wantStatus(t, r, 200)
	var res resultBody
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Object != "analytics_result" || len(res.Rows) != 1 || res.Rows[0]["decline_code"] != "insufficient_funds" {
		t.Fatalf("recovery %s", r.body)
	}
	if !strings.Contains(string(r.body), `"recovered":3`) {
		t.Fatalf("want 3 recovered invoices: %s", r.body)
	}
	for q, param := range map[string]string{"?by=colour": "by", "?from=yesterday": "from", "?limit=3": "limit"} {
		r := h.get("/v1/analytics/queries/recovery"+q, readKey)
		wantStatus(t, r, 400)
		if p := r.problem(t); p.Param != param && (len(p.Errors) == 0 || p.Errors[0].Param != param) {
			t.Errorf("%s: problem %+v", q, p)
		}
	}
	wantStatus(t, h.get("/v1/analytics/queries/nonsense", readKey), 404)

	// Ad-hoc SQL: admin only, SELECT only, no files.
	wantStatus(t, h.post("/v1/analytics/sql", writeKey, map[string]any{"sql": "SELECT 1"}), 403)
	r = h.post("/v1/analytics/sql", adminKey, map[string]any{"sql": "SELECT count(*) AS n FROM payment_attempts"})
	wantStatus(t, r, 200)
	_ = json.Unmarshal(r.body, &res)
	if len(res.Rows) != 1 || res.Rows[0]["n"] != float64(18) {
		t.Fatalf("sql %s", r.body)
	}
	for _, bad := range []string{
		"INSERT INTO attempts SELECT * FROM payment_attempts",
		"COPY payment_attempts TO '/tmp/x.csv'",
		"SELECT * FROM read_csv('/etc/passwd')",
		"ATTACH '/tmp/other.duckdb' AS o",
		"SET enable_external_access = true",
		"INSTALL httpfs",
		"SELECT 1; DROP TABLE payment_attempts",
	} {
		r := h.post("/v1/analytics/sql", adminKey, map[string]any{"sql": bad})
		wantStatus(t, r, 400)
		if p := r.problem(t); p.Code != "sql_refused" || p.Param != "sql" {
			t.Errorf("%q: problem %+v", bad, p)
		}
	}
	wantStatus(t, h.post("/v1/analytics/sql", adminKey, map[string]any{"sql": " "}), 400)
	r = h.post("/v1/analytics/sql", adminKey, map[string]any{"sql": "SELECT * FROM no_such_table"})
	wantStatus(t, r, 400)
	if p := r.problem(t); p.Code != "sql_invalid" || !strings.Contains(p.Detail, "no_such_table") {
		t.Fatalf("problem %+v", p)
	}
	r = h.post("/v1/analytics/sql", adminKey, map[string]any{"sql": "SELECT count(*) AS n FROM payment_attempts"})
	_ = json.Unmarshal(r.body, &res)
	if res.Rows[0]["n"] != float64(18) {
		t.Fatal("a refused statement changed the data")
	}
}

// A result larger than the server's buffer is sent with its length, not
// chunked, as every other JSON response is.
func TestAnalyticsContentLength(t *testing.T) {
	var runner *projections.Runner
	h := newHarness(t, withAnalytics(t, &runner))
	r := h.post("/v1/analytics/sql", adminKey, map[string]any{"sql": "SELECT range AS n, 'padding padding padding' AS s FROM range(500)"})
	wantStatus(t, r, 200)
	if n := r.header.Get("Content-Length"); len(r.body) <= 4096 || n != strconv.Itoa(len(r.body)) {
		t.Fatalf("Content-Length %q for a body of %d bytes", n, len(r.body))
	}
}
