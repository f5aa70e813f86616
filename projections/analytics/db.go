package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// DB is the analytics database.
type DB struct {
	sql  *sql.DB
	conn *duckdb.Connector
}

// Open opens (or creates) the analytics database at path for writing,
// creating the tables. memoryLimit bounds DuckDB's buffer pool (e.g.
// "512MB"; empty keeps DuckDB's default).
func Open(ctx context.Context, path, memoryLimit string) (*DB, error) {
	q := url.Values{"access_mode": {"read_write"}}
	if memoryLimit != "" {
		q.Set("memory_limit", memoryLimit)
	}
	db, err := open(path, q)
	if err != nil {
		return nil, err
	}
	if err := db.createSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenReadOnly opens the database for queries only: no writes, no
// attached databases, no extension installs, no file or network access,
// and a locked configuration that SQL cannot change.
func OpenReadOnly(path string) (*DB, error) {
	return open(path, url.Values{
		"access_mode":                  {"read_only"},
		"enable_external_access":       {"false"},
		"autoinstall_known_extensions": {"false"},
		"autoload_known_extensions":    {"false"},
		"lock_configuration":           {"true"},
	})
}

func open(path string, q url.Values) (*DB, error) {
	c, err := duckdb.NewConnector(path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("analytics: open %s: %w", path, err)
	}
	return &DB{sql: sql.OpenDB(c), conn: c}, nil
}

// SQL returns the database handle, for callers that run named queries.
func (d *DB) SQL() *sql.DB { return d.sql }

// Close closes the database.
func (d *DB) Close() error {
	err := d.sql.Close()
	if cerr := d.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *DB) createSchema(ctx context.Context) error {
	if _, err := d.sql.ExecContext(ctx, checkpointDDL); err != nil {
		return fmt.Errorf("analytics: create checkpoints: %w", err)
	}
	for _, t := range tables {
		if _, err := d.sql.ExecContext(ctx, t.ddl); err != nil {
			return fmt.Errorf("analytics: create %s: %w", t.name, err)
		}
	}
	return nil
}
