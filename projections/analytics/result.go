package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Result is a query's answer: named columns and rows of plain Go values
// (nil, bool, int64, float64, string, time.Time and, for ad-hoc SQL,
// whatever else DuckDB returns, printed with fmt).
type Result struct {
	Query   string   `json:"query,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	Columns []string `json:"columns"`
	Types   []string `json:"types"`
	Rows    [][]any  `json:"-"`
}

// MaxRows bounds what one query returns, so a careless ad-hoc query
// cannot exhaust memory.
const MaxRows = 1_000_000

func (d *DB) query(ctx context.Context, q string, args ...any) (Result, error) {
	rows, err := d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return Result{}, fmt.Errorf("analytics: query: %w", err)
	}
	defer rows.Close()
	return scan(rows)
}

func scan(rows *sql.Rows) (Result, error) {
	var res Result
	cols, err := rows.ColumnTypes()
	if err != nil {
		return res, fmt.Errorf("analytics: columns: %w", err)
	}
	for _, c := range cols {
		res.Columns = append(res.Columns, c.Name())
		res.Types = append(res.Types, c.DatabaseTypeName())
	}
	for rows.Next() {
		if len(res.Rows) == MaxRows {
			return res, &ArgumentError{Field: "sql", Rule: fmt.Sprintf("returns more than %d rows; add a LIMIT", MaxRows)}
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return res, fmt.Errorf("analytics: scan: %w", err)
		}
		for i, v := range vals {
			vals[i] = plain(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("analytics: query: %w", err)
	}
	return res, nil
}

// plain maps driver values to the few types Result promises.
func plain(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return v
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		return x.Float64()
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// MarshalJSON writes the result with each row as an object whose keys
// keep the column order.
func (r Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"query":`)
	q, _ := json.Marshal(r.Query)
	b.Write(q)
	if r.Unit != "" {
		u, _ := json.Marshal(r.Unit)
		b.WriteString(`,"unit":`)
		b.Write(u)
	}
	cols, _ := json.Marshal(r.Columns)
	b.WriteString(`,"columns":`)
	b.Write(cols)
	b.WriteString(`,"rows":[`)
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeObject(&b, r.Columns, row); err != nil {
			return nil, err
		}
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

func writeObject(b *bytes.Buffer, cols []string, row []any) error {
	b.WriteByte('{')
	for j, v := range row {
		if j > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(cols[j])
		b.Write(k)
		b.WriteByte(':')
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("analytics: column %s: %w", cols[j], err)
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return nil
}
