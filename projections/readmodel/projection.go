package readmodel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/eventjson"
)

// Projection names, as used by `recoup rebuild NAME`.
const (
	NameInvoices      = "invoices"
	NameSubscriptions = "subscriptions"
	NamePresets       = "presets"
	NameCards         = "cards"
)

// defaultMaxCached bounds each table's cache of decoded records.
const defaultMaxCached = 32_768

// flusher is a table seen by the commit path.
type flusher interface {
	flush(rec, ix *ops) error
	pending() int
	committed()
	spilling(rec *ops)
	landed()
	discard()
	reset()
}

// base is what every read-model projection shares: its name, the key
// kinds it owns, its checkpoint and the commit of a batch.
type base struct {
	db     *DB
	name   string
	kinds  []string
	tables []flusher
	fields eventjson.Fields
	names  interner // values repeated across records (see intern.go)

	// pending receives the result of the batch being committed in the
	// background, if any (see commit).
	pending chan error
	writes  ops
	// spills are the buffers of bulk writes: one is built while the
	// other is written in the background.
	spills    [2]spillBuf
	nextSpill int
	inSpill   *spillBuf // the spill pending writes, if any

	// bulk is set by Reset: the projection is being rebuilt from an empty
	// database and writes through bulk.go until the next Sync. last is
	// the position of the last event handled, unsaved whether anything
	// was handled since the last spill.
	bulk      bool
	bulkSpill int
	counted   int // changed records counted in db.bulkDirty
	last      eventstore.Position
	unsaved   bool

	// crashAfterWrite, set by tests, commits a batch's records without
	// its checkpoint and fails: the state a crash between the two would
	// leave if they were not one batch.
	crashAfterWrite bool
}

var errInjectedCrash = errors.New("readmodel: injected crash after write")

// Name implements projections.Projection.
func (b *base) Name() string { return b.name }

// Checkpoint implements projections.Projection.
func (b *base) Checkpoint(ctx context.Context) (eventstore.Position, bool, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Position{}, false, err
	}
	if err := b.wait(); err != nil {
		return eventstore.Position{}, false, err
	}
	v, found, err := b.db.get(b.db.pdb, checkpointKey(b.name), nil)
	if err != nil || !found {
		return eventstore.Position{}, false, err
	}
	if len(v) != 16 {
		return eventstore.Position{}, false, fmt.Errorf("readmodel: checkpoint %s: %w", b.name, errCorrupt)
	}
	return eventstore.Position{Commit: binary.BigEndian.Uint64(v), Prepare: binary.BigEndian.Uint64(v[8:])}, true, nil
}

// Reset implements projections.Projection.
func (b *base) Reset(ctx context.Context) error {
	_ = b.wait() // whatever it was, it is about to be deleted
	for _, t := range b.tables {
		t.reset()
	}
	if !b.bulk {
		b.db.bulkActive.Add(1)
	}
	b.bulk, b.unsaved = true, false
	b.count(0)
	if b.bulkSpill <= 0 {
		b.bulkSpill = defaultBulkSpill
	}
	prefixes := []string{string(checkpointKey(b.name))}
	for _, k := range b.kinds {
		prefixes = append(prefixes, k+"/")
	}
	return b.db.deletePrefixes(ctx, prefixes...)
}

// decode reads ev's JSON into b.fields.
func (b *base) decode(ev *eventstore.RecordedEvent) (*eventjson.Fields, error) {
	if err := b.fields.Decode(ev.Data); err != nil {
		return nil, fmt.Errorf("%s at %d in %s: %w", ev.Type, ev.Position.Commit, ev.Stream, err)
	}
	return &b.fields, nil
}

// apply runs handle on each event, then commits the tables' changes with
// the checkpoint of the last event in one Pebble batch.
func (b *base) apply(ctx context.Context, events []eventstore.RecordedEvent, handle func(*eventstore.RecordedEvent) error) error {
	if len(events) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.poll(); err != nil {
		return err
	}
	if b.names == nil {
		b.names = interner{}
	}
	if b.bulk {
		return b.applyBulk(ctx, events, handle)
	}
	for i := range events {
		if err := handle(&events[i]); err != nil {
			b.discard()
			return err
		}
	}
	if err := b.commit(events[len(events)-1].Position); err != nil {
		b.discard()
		return err
	}
	return nil
}

func (b *base) commit(last eventstore.Position) error {
	b.writes.reset()
	for _, t := range b.tables {
		if err := t.flush(&b.writes, &b.writes); err != nil {
			return fmt.Errorf("readmodel %s: write: %w", b.name, err)
		}
	}
	batch := b.db.pdb.NewBatch()
	if err := b.writes.apply(batch); err != nil {
		batch.Close()
		return fmt.Errorf("readmodel %s: write: %w", b.name, err)
	}
	cp := checkpointValue(last)
	if b.crashAfterWrite {
		defer batch.Close()
		if err := b.wait(); err != nil {
			return err
		}
		if err := batch.Commit(pebble.NoSync); err != nil {
			return err
		}
		return errInjectedCrash
	}
	if err := batch.Set(checkpointKey(b.name), cp, nil); err != nil {
		batch.Close()
		return err
	}
	if err := b.wait(); err != nil {
		return err
	}
	// The batch is committed in the background while the next one is
	// decoded and applied to the cache: the two halves of a rebuild then
	// use both cores. At most one commit is in flight; Checkpoint and
	// Sync wait for it, a cache miss need not (see table.lookup).
	// NoSync and no WAL: a crash may lose the newest batches, but never
	// splits one, and the checkpoint travels with them, so the projection
	// resumes exactly where its surviving state ends.
	ch := make(chan error, 1)
	b.db.inflight.Add(1)
	go func() {
		defer b.db.inflight.Done()
		err := batch.Commit(pebble.NoSync)
		batch.Close()
		if err != nil {
			err = fmt.Errorf("readmodel %s: commit: %w", b.name, err)
		}
		ch <- err
	}()
	b.pending = ch
	for _, t := range b.tables {
		t.committed()
	}
	return nil
}

// wait waits for the batch committing in the background, if any.
func (b *base) wait() error {
	if b.pending == nil {
		return nil
	}
	return b.done(<-b.pending)
}

// poll notes, without waiting, whether the background write landed.
func (b *base) poll() error {
	select {
	case err := <-b.pending: // a nil channel is never ready
		return b.done(err)
	default:
		return nil
	}
}

// done handles the outcome of the background write.
func (b *base) done(err error) error {
	b.pending = nil
	if w := b.inSpill; w != nil {
		b.inSpill = nil
		defer w.release() // after landed: until then lookups read it
	}
	if err != nil {
		b.discard()
		return err
	}
	for _, t := range b.tables {
		t.landed()
	}
	return nil
}

// Sync waits until every batch Apply accepted is in the database, and
// reports a failed background commit. It ends a bulk rebuild.
func (b *base) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.bulk {
		return b.endBulk()
	}
	return b.wait()
}

func checkpointValue(last eventstore.Position) []byte {
	cp := binary.BigEndian.AppendUint64(make([]byte, 0, 16), last.Commit)
	return binary.BigEndian.AppendUint64(cp, last.Prepare)
}

func (b *base) discard() {
	b.unsaved = false
	for _, t := range b.tables {
		t.discard()
	}
	b.count(0)
}

// Projections returns the four read-model projections over db.
func Projections(db *DB) []projections.Projection {
	return []projections.Projection{NewInvoices(db), NewSubscriptions(db), NewPresets(db), NewCards(db)}
}
