package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	json "github.com/go-json-experiment/json"

	"github.com/recoupledger/recoup/projections/analytics"
)

// MaxResultRows bounds the rows one analytics response carries; a longer
// result says truncated.
const MaxResultRows = 10_000

// maxSQLLength bounds ad-hoc SQL text.
const maxSQLLength = 64 << 10

func (s *Server) mountAnalytics(r chi.Router) {
	r.Get("/v1/analytics/queries", s.handle(s.listQueries))
	r.Get("/v1/analytics/queries/{name}", s.handle(s.runQuery))
	r.With(require(ScopeAdmin)).Post("/v1/analytics/sql", s.handle(s.runSQL))
}

// QueryInfo describes a named query and the dimensions it groups by.
type QueryInfo struct {
	Name       string   `json:"name"`
	Doc        string   `json:"doc"`
	Dimensions []string `json:"dimensions"`
}

func (s *Server) listQueries(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	q.only()
	if err := q.err(); err != nil {
		return err
	}
	out := make([]QueryInfo, len(analytics.Queries))
	for i, nq := range analytics.Queries {
		out[i] = QueryInfo{Name: nq.Name, Doc: nq.Doc, Dimensions: analytics.Dimensions()}
	}
	return writeJSON(w, http.StatusOK, newList(r.URL.Path, out, false))
}

func (s *Server) runQuery(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	q.only("by", "from", "to")
	o := analytics.Options{From: q.time("from"), To: q.time("to")}
	if by := q.str("by"); by != "" {
		o.By = strings.Split(by, ",")
	}
	if err := q.err(); err != nil {
		return err
	}
	if s.cfg.Analytics == nil {
		return notConfigured("analytics")
	}
	res, err := analytics.Run(r.Context(), s.cfg.Analytics, chi.URLParam(r, "name"), o)
	if err != nil {
		return analyticsProblem(err, "name")
	}
	return writeResult(w, res)
}

type sqlRequest struct {
	SQL string `json:"sql"`
}

func (q *sqlRequest) validate() []FieldError {
	var f fields
	if f.required("sql", strings.TrimSpace(q.SQL)) && len(q.SQL) > maxSQLLength {
		f.add("sql", CodeOutOfRange, "must be at most 64 KiB")
	}
	return f
}

func (s *Server) runSQL(w http.ResponseWriter, r *http.Request) error {
	var q sqlRequest
	if err := decodeJSON(r, &q); err != nil {
		return err
	}
	if s.cfg.Analytics == nil {
		return notConfigured("analytics")
	}
	res, err := s.cfg.Analytics.AdHoc(r.Context(), q.SQL)
	if err != nil {
		if p := analyticsProblem(err, "sql"); p != err || r.Context().Err() != nil {
			return p
		}
		// The statement is the admin's own: DuckDB's complaint about it
		// (an unknown table, a type error) is theirs to read.
		return badRequest("sql_invalid", "sql", err.Error())
	}
	return writeResult(w, res)
}

// writeResult sends a result as {"object":"analytics_result", ...} with
// rows as objects in column order, cut at MaxResultRows.
func writeResult(w http.ResponseWriter, res analytics.Result) error {
	truncated := len(res.Rows) > MaxResultRows
	if truncated {
		res.Rows = res.Rows[:MaxResultRows]
	}
	b, err := json.Marshal(res, encodeOptions)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(`{"object":"analytics_result","truncated":`)
	if truncated {
		buf.WriteString("true,")
	} else {
		buf.WriteString("false,")
	}
	buf.Write(bytes.TrimPrefix(b, []byte("{")))
	buf.WriteByte('\n')
	// Sent with its length, as writeJSON does: a result over the server's
	// buffer would otherwise go chunked.
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// analyticsProblem maps the analytics package's errors: a bad option is
// 400 naming it, refused SQL is 400 sql_refused.
func analyticsProblem(err error, param string) error {
	var ae *analytics.ArgumentError
	var re *analytics.RefusedError
	switch {
	case errors.As(err, &ae):
		field := ae.Field
		if field == "query" {
			return notFound(param, ae.Rule)
		}
		return badRequest(CodeInvalidValue, field, ae.Rule)
	case errors.As(err, &re):
		return badRequest("sql_refused", "sql", re.Error())
	}
	return err
}

// LockDownAnalytics fences a read-write analytics database for ad-hoc
// SQL in the process that also projects into it (DuckDB cannot open the
// same file read-only beside a read-write handle): external access
// (files, network, extensions) is turned off and the configuration locked,
// which DuckDB cannot undo for the life of the database. The projection
// only appends rows, which needs neither.
func LockDownAnalytics(ctx context.Context, db *analytics.DB) error {
	for _, stmt := range []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := db.SQL().ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("analytics lock-down: %s: %w", stmt, err)
		}
	}
	return nil
}
