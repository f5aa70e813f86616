package analytics

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Formats accepted by Write.
var Formats = []string{"table", "csv", "json", "parquet"}

// Write prints r in format to w. Parquet is written by DuckDB's own
// writer through a private in-memory database, never through the
// database the query ran on.
func (r Result) Write(ctx context.Context, w io.Writer, format string) error {
	switch format {
	case "", "table":
		return r.writeTable(w)
	case "csv":
		return r.writeCSV(w)
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "parquet":
		return r.writeParquet(ctx, w)
	}
	return &ArgumentError{Field: "format", Rule: fmt.Sprintf("must be one of %s, not %q", strings.Join(Formats, ", "), format)}
}

// cell renders a value for table and CSV output.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

func numeric(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func (r Result) writeTable(w io.Writer) error {
	width := make([]int, len(r.Columns))
	for i, c := range r.Columns {
		width[i] = utf8.RuneCountInString(c)
	}
	cells := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		cells[i] = make([]string, len(row))
		for j, v := range row {
			cells[i][j] = cell(v)
			width[j] = max(width[j], utf8.RuneCountInString(cells[i][j]))
		}
	}
	var b strings.Builder
	line := func(vals []string, right func(j int) bool) {
		for j, s := range vals {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(s))
			if j > 0 {
				b.WriteString("  ")
			}
			if right(j) {
				b.WriteString(pad + s)
			} else if j < len(vals)-1 {
				b.WriteString(s + pad)
			} else {
				b.WriteString(s)
			}
		}
		b.WriteByte('\n')
	}
	// A column is right-aligned when its values are numbers.
	numCol := make([]bool, len(r.Columns))
	for j := range r.Columns {
		numCol[j] = len(r.Rows) > 0
		for _, row := range r.Rows {
			if row[j] != nil && !numeric(row[j]) {
				numCol[j] = false
				break
			}
		}
	}
	right := func(j int) bool { return numCol[j] }
	line(r.Columns, right)
	rule := make([]string, len(r.Columns))
	for j := range rule {
		rule[j] = strings.Repeat("-", width[j])
	}
	line(rule, right)
	for _, row := range cells {
		line(row, right)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r Result) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for j, v := range row {
			rec[j] = cell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// duckType picks a column type for the parquet copy from the values.
func (r Result) duckType(j int) string {
	t := ""
	for _, row := range r.Rows {
		var vt string
		switch row[j].(type) {
		case nil:
			continue
		case bool:
			vt = "BOOLEAN"
		case int64:
			vt = "BIGINT"
		case float64:
			vt = "DOUBLE"
		case time.Time:
			vt = "TIMESTAMP"
		default:
			vt = "VARCHAR"
		}
		switch {
		case t == "":
			t = vt
		case t != vt && (t == "BIGINT" && vt == "DOUBLE" || t == "DOUBLE" && vt == "BIGINT"):
			t = "DOUBLE"
		case t != vt:
			return "VARCHAR"
		}
	}
	if t == "" {
		return "VARCHAR"
	}
	return t
}

func (r Result) writeParquet(ctx context.Context, w io.Writer) error {
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer removeAll(dir)
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	defer c.Close()
	db := sql.OpenDB(c)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	defer conn.Close()
	cols := make([]string, len(r.Columns))
	types := make([]string, len(r.Columns))
	for j, name := range r.Columns {
		types[j] = r.duckType(j)
		cols[j] = quoteIdent(name) + " " + types[j]
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE result ("+strings.Join(cols, ", ")+")"); err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "result")
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(r.Columns))
		for _, row := range r.Rows {
			for j, v := range row {
				vals[j] = convert(v, types[j])
			}
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	path := filepath.Join(dir, "result.parquet")
	if _, err := conn.ExecContext(ctx, "COPY result TO '"+strings.ReplaceAll(path, "'", "''")+"' (FORMAT parquet)"); err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	return copyFile(w, path)
}

func convert(v any, typ string) driver.Value {
	if v == nil {
		return nil
	}
	switch typ {
	case "VARCHAR":
		return cell(v)
	case "DOUBLE":
		if i, ok := v.(int64); ok {
			return float64(i)
		}
	}
	return v
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
