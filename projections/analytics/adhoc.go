package analytics

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// AdHoc runs one read-only query. Two fences keep it read-only:
//
//  1. Up front, DuckDB's own parser must see exactly one statement and
//     it must be a SELECT (WITH ... SELECT included): COPY, ATTACH,
//     INSTALL, LOAD, CREATE, INSERT, UPDATE, DELETE, DROP, SET, PRAGMA,
//     CALL, EXPORT and the rest are refused before anything runs.
//  2. The database must come from OpenReadOnly: read-only, with external
//     access (files, network, httpfs URLs, read_csv and friends) disabled
//     and the configuration locked, so a SELECT that reaches for a file
//     fails inside DuckDB, and that failure is reported as a refusal.
func (d *DB) AdHoc(ctx context.Context, query string) (Result, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return Result{}, &ArgumentError{Field: "sql", Rule: "must not be empty"}
	}
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("analytics: connect: %w", err)
	}
	defer conn.Close()
	if err := checkSelect(ctx, conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, q).Scan, q); err != nil {
		return Result{}, err
	}
	// Second opinion from the prepared statement's type.
	err = conn.Raw(func(dc any) error {
		st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("analytics: unexpected statement type %T", st)
		}
		typ, err := ds.StatementType()
		if err != nil {
			return err
		}
		if typ != duckdb.STATEMENT_TYPE_SELECT {
			return &RefusedError{Reason: fmt.Sprintf("only a SELECT or WITH query may run; %s is not one", firstWord(q))}
		}
		return nil
	})
	if err != nil {
		return Result{}, refusal(err)
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return Result{}, refusal(err)
	}
	defer rows.Close()
	res, err := scan(rows)
	if err != nil {
		return res, refusal(err)
	}
	res.Query = "sql"
	return res, nil
}

// checkSelect asks DuckDB's parser (json_serialize_sql, which serializes
// SELECT statements only) what q is.
func checkSelect(_ context.Context, scanRow func(...any) error, q string) error {
	var js string
	if err := scanRow(&js); err != nil {
		return fmt.Errorf("analytics: parse: %w", err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &parsed); err != nil {
		return fmt.Errorf("analytics: parse: %w", err)
	}
	switch {
	case parsed.Error && strings.Contains(parsed.Message, "Only SELECT"):
		if w := firstWord(q); w != "SELECT" && w != "WITH" && w != "FROM" {
			return &RefusedError{Reason: fmt.Sprintf("only a SELECT or WITH query may run; %s is not one", w)}
		}
		return &RefusedError{Reason: "only a single SELECT or WITH query may run; the text holds another kind of statement"}
	case parsed.Error:
		return &ArgumentError{Field: "sql", Rule: parsed.Message}
	case len(parsed.Statements) != 1:
		return &RefusedError{Reason: fmt.Sprintf("exactly one statement may run, not %d", len(parsed.Statements))}
	}
	return nil
}

// refusal turns DuckDB's permission errors into refusals that say what
// ad-hoc SQL may not do.
func refusal(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrRefused):
		return err
	case strings.Contains(msg, "Permission Error") || strings.Contains(msg, "disabled by configuration") ||
		strings.Contains(msg, "external access"):
		return &RefusedError{Reason: "ad-hoc SQL cannot read or write files or the network", Err: err}
	case strings.Contains(msg, "read-only") || strings.Contains(msg, "read only"):
		return &RefusedError{Reason: "ad-hoc SQL cannot write", Err: err}
	case strings.Contains(msg, "lock_configuration") || strings.Contains(msg, "configuration has been locked"):
		return &RefusedError{Reason: "ad-hoc SQL cannot change the configuration", Err: err}
	}
	return fmt.Errorf("analytics: sql: %w", err)
}

func firstWord(q string) string {
	f := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(f) == 0 {
		return "this statement"
	}
	return strings.ToUpper(f[0])
}
