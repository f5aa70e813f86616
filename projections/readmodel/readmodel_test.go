package readmodel

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/recoupledger/recoup/internal/golden"
	"github.com/recoupledger/recoup/projections"
)

func TestScenarioGolden(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	applyAll(t, Projections(db), record(t, scenario()))
	golden.Check(t, "scenario.json", dump(t, db))
}

func TestIncrementalEqualsRebuild(t *testing.T) {
	events := record(t, scenario())
	whole := openDB(t, t.TempDir())
	defer whole.Close()
	applyAll(t, Projections(whole), events)
	want := dump(t, whole)

	for _, sizes := range [][]int{{1}, {2, 5}, {7, 1, 3}} {
		db := openDB(t, t.TempDir())
		applyAll(t, Projections(db), events, sizes...)
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("batches %v: state differs from one batch:\n%s", sizes, got)
		}
		// Reset, then rebuild from zero into the same database.
		ps := Projections(db)
		for _, p := range ps {
			if err := p.Reset(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := p.Checkpoint(context.Background()); ok {
				t.Fatalf("%s: checkpoint survived Reset", p.Name())
			}
		}
		applyAll(t, ps, events)
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("rebuild after reset differs:\n%s", got)
		}
		db.Close()
	}
}

func TestReplayFromOlderCheckpointChangesNothing(t *testing.T) {
	events := record(t, scenario())
	db := openDB(t, t.TempDir())
	defer db.Close()
	ps := Projections(db)
	applyAll(t, ps, events)
	want := dump(t, db)
	for _, from := range []int{0, 10, len(events) / 2, len(events) - 1} {
		applyAll(t, ps, events[from:], 3)
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("replay from event %d changed the state:\n%s", from, got)
		}
	}
}

// TestCrashBetweenWriteAndCheckpoint makes a batch's records durable
// without its checkpoint, reopens the database as a restarted process
// would, resumes from the stored checkpoint and compares with a clean run.
func TestCrashBetweenWriteAndCheckpoint(t *testing.T) {
	ctx := context.Background()
	events := record(t, scenario())
	clean := openDB(t, t.TempDir())
	defer clean.Close()
	applyAll(t, Projections(clean), events)
	want := dump(t, clean)

	for _, crashAt := range []int{5, 31, 50} {
		dir := t.TempDir()
		db := openDB(t, dir)
		ps := Projections(db)
		applyAll(t, ps, events[:crashAt], 4)
		for _, p := range ps {
			setCrash(p, true)
			err := p.Apply(ctx, events[crashAt:crashAt+8])
			if !errors.Is(err, errInjectedCrash) {
				t.Fatalf("%s: err = %v, want the injected crash", p.Name(), err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		db = openDB(t, dir)
		ps = Projections(db)
		for _, p := range ps {
			cp, ok, err := p.Checkpoint(ctx)
			if err != nil || !ok || cp != events[crashAt-1].Position {
				t.Fatalf("%s: checkpoint %v %v %v, want %v", p.Name(), cp, ok, err, events[crashAt-1].Position)
			}
		}
		applyAll(t, ps, events[crashAt:], 6)
		if got := dump(t, db); !bytes.Equal(got, want) {
			t.Fatalf("crash at %d: resumed state differs from a clean run:\n%s", crashAt, got)
		}
		db.Close()
	}
}

func setCrash(p projections.Projection, on bool) {
	switch p := p.(type) {
	case *Invoices:
		p.crashAfterWrite = on
	case *Subscriptions:
		p.crashAfterWrite = on
	case *Presets:
		p.crashAfterWrite = on
	case *Cards:
		p.crashAfterWrite = on
	}
}

func TestProjectionsRefuseMalformedEvents(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	events := record(t, scenario())
	bad := events[len(events)-1]
	bad.Data = []byte(`{"invoice_id":"in_6","amount_paid":"lots"}`)
	err := NewInvoices(db).Apply(context.Background(), append(events[:3:3], bad))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("amount_paid")) {
		t.Fatalf("err = %v, want one naming amount_paid", err)
	}
	if _, ok, _ := NewInvoices(db).Checkpoint(context.Background()); ok {
		t.Fatal("a failed batch stored a checkpoint")
	}
}
