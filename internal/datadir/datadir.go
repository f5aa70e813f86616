// Package datadir names the parts of a Recoup data directory, so that
// every command and server opens the same paths:
//
//	DIR/events            the embedded Pebble event store
//	DIR/readmodel         the read models (their own Pebble database)
//	DIR/analytics.duckdb  the DuckDB analytics database
package datadir

import "path/filepath"

// Layout is a data directory.
type Layout struct{ Root string }

// New returns the layout rooted at dir.
func New(dir string) Layout { return Layout{Root: dir} }

// Events is the directory of the embedded event store.
func (l Layout) Events() string { return filepath.Join(l.Root, "events") }

// ReadModel is the directory of the read-model database.
func (l Layout) ReadModel() string { return filepath.Join(l.Root, "readmodel") }

// Analytics is the DuckDB analytics database file.
func (l Layout) Analytics() string { return filepath.Join(l.Root, "analytics.duckdb") }
