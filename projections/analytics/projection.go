package analytics

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/eventjson"
)

// Name is the projection's name, as used by `recoup rebuild analytics`.
const Name = "analytics"

// Projection feeds the analytics tables from $all: each batch is one
// DuckDB transaction holding the rows (written with the Appender) and the
// checkpoint.
type Projection struct {
	db     *DB
	conn   *sql.Conn
	st     *state
	fields eventjson.Fields
	apps   map[string]*duckdb.Appender
	row    []driver.Value
	loaded bool

	// bulk is set by Reset: the rebuild from zero keeps one transaction
	// (and its appenders) open across batches and commits it with the
	// checkpoint every bulkCommit events and at Sync, instead of once per
	// batch (see bulk.go). inTx is whether that transaction is open, txLast
	// and txEvents its last position and event count.
	bulk       bool
	bulkCommit int
	inTx       bool
	txLast     eventstore.Position
	txEvents   int

	// crashAfterWrite, set by tests, commits a batch's rows without its
	// checkpoint and fails: the state a crash between the two would leave
	// if they were not one transaction.
	crashAfterWrite bool
}

var (
	_ projections.Projection = (*Projection)(nil)
	_ projections.Syncer     = (*Projection)(nil)
)

var errInjectedCrash = errors.New("analytics: injected crash after write")

// NewProjection returns the analytics projection over db, which must have
// been opened for writing. It holds one connection until Close.
func NewProjection(ctx context.Context, db *DB) (*Projection, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("analytics: connect: %w", err)
	}
	return &Projection{db: db, conn: conn, st: newState(), apps: map[string]*duckdb.Appender{}}, nil
}

// Close releases the projection's connection. A bulk transaction not
// yet synced is rolled back, as a crash would lose it.
func (p *Projection) Close() error {
	if p.inTx {
		p.abort()
	}
	return p.conn.Close()
}

// Name implements projections.Projection.
func (p *Projection) Name() string { return Name }

// Checkpoint implements projections.Projection.
func (p *Projection) Checkpoint(ctx context.Context) (eventstore.Position, bool, error) {
	var pos eventstore.Position
	err := p.conn.QueryRowContext(ctx, `SELECT commit_pos, prepare_pos FROM checkpoints WHERE projection = ?`, Name).
		Scan(&pos.Commit, &pos.Prepare)
	if errors.Is(err, sql.ErrNoRows) {
		return pos, false, nil
	}
	if err != nil {
		return pos, false, fmt.Errorf("analytics: read checkpoint: %w", err)
	}
	return pos, true, nil
}

// Reset implements projections.Projection.
func (p *Projection) Reset(ctx context.Context) error {
	if p.inTx {
		p.abort()
	}
	if _, err := p.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("analytics: reset: %w", err)
	}
	for _, t := range tables {
		if _, err := p.conn.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
			p.rollback()
			return fmt.Errorf("analytics: reset %s: %w", t.name, err)
		}
	}
	if _, err := p.conn.ExecContext(ctx, `DELETE FROM checkpoints WHERE projection = ?`, Name); err != nil {
		p.rollback()
		return fmt.Errorf("analytics: reset checkpoint: %w", err)
	}
	if _, err := p.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("analytics: reset: %w", err)
	}
	p.st, p.loaded, p.bulk = newState(), true, true
	if p.bulkCommit <= 0 {
		p.bulkCommit = defaultBulkCommit
	}
	return nil
}

func (p *Projection) rollback() {
	_, _ = p.conn.ExecContext(context.Background(), `ROLLBACK`)
}

// Apply implements projections.Projection.
func (p *Projection) Apply(ctx context.Context, events []eventstore.RecordedEvent) error {
	if len(events) == 0 {
		return nil
	}
	if !p.loaded {
		if err := p.truncate(ctx); err != nil {
			return err
		}
		if err := p.st.load(ctx, p.conn); err != nil {
			return err
		}
		p.loaded = true
	}
	if err := p.applyTx(ctx, events); err != nil {
		p.abort()
		return err
	}
	for _, id := range p.st.closed {
		delete(p.st.invoices, id)
	}
	p.st.closed = p.st.closed[:0]
	return nil
}

// abort rolls back the open transaction, dropping what the appenders
// buffered; the in-memory state ran ahead of the tables, so it is
// reloaded before the next batch.
func (p *Projection) abort() {
	p.discardAppenders()
	p.rollback()
	p.inTx, p.txEvents, p.loaded = false, 0, false
}

func (p *Projection) applyTx(ctx context.Context, events []eventstore.RecordedEvent) error {
	if !p.inTx {
		if _, err := p.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
			return fmt.Errorf("analytics: begin: %w", err)
		}
		p.inTx = true
		if err := p.openAppenders(); err != nil {
			return err
		}
	}
	for i := range events {
		if err := p.handle(&events[i]); err != nil {
			return err
		}
	}
	p.txLast = events[len(events)-1].Position
	p.txEvents += len(events)
	if p.bulk && p.txEvents < p.bulkCommit {
		return nil // the transaction stays open for the next batch
	}
	return p.commit(ctx)
}

// commit flushes the appenders into the open transaction and commits it
// with the checkpoint of its last event.
func (p *Projection) commit(ctx context.Context) error {
	last := p.txLast
	if err := p.closeAppenders(); err != nil {
		return fmt.Errorf("analytics: append: %w", err)
	}
	if p.crashAfterWrite {
		if _, err := p.conn.ExecContext(ctx, `COMMIT`); err != nil {
			return err
		}
		p.inTx = false
		return errInjectedCrash
	}
	_, err := p.conn.ExecContext(ctx, `INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)`, Name, last.Commit, last.Prepare)
	if err != nil {
		return fmt.Errorf("analytics: write checkpoint: %w", err)
	}
	if _, err := p.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("analytics: commit: %w", err)
	}
	p.inTx, p.txEvents = false, 0
	return nil
}

// truncate deletes rows of events after the checkpoint, before the state
// is loaded and the runner replays from the checkpoint. Batches commit
// rows and checkpoint together, so such rows exist only when the
// checkpoint was moved back; deleting them makes any replay exact.
func (p *Projection) truncate(ctx context.Context) error {
	cp, ok, err := p.Checkpoint(ctx)
	if err != nil {
		return err
	}
	where, args := ``, []any{}
	if ok {
		where, args = ` WHERE pos > ?`, []any{cp.Commit}
	}
	if _, err := p.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("analytics: truncate: %w", err)
	}
	for _, t := range tables {
		if _, err := p.conn.ExecContext(ctx, `DELETE FROM `+t.name+where, args...); err != nil {
			p.rollback()
			return fmt.Errorf("analytics: truncate %s to the checkpoint: %w", t.name, err)
		}
	}
	if _, err := p.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("analytics: truncate: %w", err)
	}
	return nil
}

func (p *Projection) openAppenders() error {
	return p.conn.Raw(func(dc any) error {
		for _, t := range tables {
			a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", t.name)
			if err != nil {
				return fmt.Errorf("analytics: appender for %s: %w", t.name, err)
			}
			p.apps[t.name] = a
		}
		return nil
	})
}

// closeAppenders flushes every appender into the open transaction.
func (p *Projection) closeAppenders() error {
	var first error
	for name, a := range p.apps {
		if err := a.Close(); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", name, err)
		}
		delete(p.apps, name)
	}
	return first
}

// discardAppenders drops what the appenders buffered: closing them would
// flush it, and after a rollback that would be outside any transaction.
func (p *Projection) discardAppenders() {
	for name, a := range p.apps {
		_ = a.Clear()
		_ = a.Close()
		delete(p.apps, name)
	}
}

// appendRow adds one row to table.
func (p *Projection) appendRow(table string, vals ...driver.Value) error {
	if err := p.apps[table].AppendRow(vals...); err != nil {
		return fmt.Errorf("analytics: append to %s: %w", table, err)
	}
	return nil
}
