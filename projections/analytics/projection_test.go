package analytics

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

// tableDump is every row of every table, in event order.
func tableDump(t testing.TB, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, tb := range tables {
		res, err := db.query(context.Background(), "SELECT * FROM "+tb.name+" ORDER BY ALL")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %v\n", tb.name, res.Columns)
		for _, r := range res.Rows {
			fmt.Fprintf(&b, "  %v\n", r)
		}
	}
	return b.String()
}

func cleanDump(t testing.TB, events []eventstore.RecordedEvent) string {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "a.duckdb"))
	defer db.Close()
	p := newProjection(t, db)
	defer p.Close()
	project(t, p, events, len(events))
	return tableDump(t, db)
}

func TestIncrementalEqualsOneBatchAndRebuild(t *testing.T) {
	events := record(t, fixture())
	want := cleanDump(t, events)
	for _, size := range []int{1, 3, 8} {
		db := openDB(t, filepath.Join(t.TempDir(), "a.duckdb"))
		p := newProjection(t, db)
		project(t, p, events, size)
		if got := tableDump(t, db); got != want {
			t.Fatalf("batches of %d differ from one batch:\n%s\nwant\n%s", size, got, want)
		}
		if err := p.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := p.Checkpoint(context.Background()); ok {
			t.Fatal("checkpoint survived Reset")
		}
		project(t, p, events, 4)
		if got := tableDump(t, db); got != want {
			t.Fatalf("rebuild after Reset differs:\n%s", got)
		}
		p.Close()
		db.Close()
	}
}

// TestCrashBetweenWriteAndCheckpoint commits a batch's rows without its
// checkpoint, reopens as a restarted process would and resumes from the
// stored checkpoint.
func TestCrashBetweenWriteAndCheckpoint(t *testing.T) {
	ctx := context.Background()
	events := record(t, fixture())
	want := cleanDump(t, events)
	for _, crashAt := range []int{4, 12, 20} {
		path := filepath.Join(t.TempDir(), "a.duckdb")
		db := openDB(t, path)
		p := newProjection(t, db)
		project(t, p, events[:crashAt], 3)
		p.crashAfterWrite = true
		if err := p.Apply(ctx, events[crashAt:crashAt+6]); !errors.Is(err, errInjectedCrash) {
			t.Fatalf("err = %v, want the injected crash", err)
		}
		p.Close()
		db.Close()

		db = openDB(t, path)
		p = newProjection(t, db)
		cp, ok, err := p.Checkpoint(ctx)
		if err != nil || !ok || cp != events[crashAt-1].Position {
			t.Fatalf("checkpoint %v %v %v, want %v", cp, ok, err, events[crashAt-1].Position)
		}
		project(t, p, events[crashAt:], 5)
		if got := tableDump(t, db); got != want {
			t.Fatalf("crash at %d: resumed state differs from a clean run:\n%s\nwant\n%s", crashAt, got, want)
		}
		p.Close()
		db.Close()
	}
}

// TestReplayFromOlderCheckpoint moves the checkpoint back, as an operator
// or a lost write might, and replays from it.
func TestReplayFromOlderCheckpoint(t *testing.T) {
	ctx := context.Background()
	events := record(t, fixture())
	want := cleanDump(t, events)
	path := filepath.Join(t.TempDir(), "a.duckdb")
	db := openDB(t, path)
	p := newProjection(t, db)
	project(t, p, events, 7)
	p.Close()
	for _, back := range []int{1, 9, 25} {
		old := events[back-1].Position
		if _, err := db.sql.ExecContext(ctx, `UPDATE checkpoints SET commit_pos = ?, prepare_pos = ?`, old.Commit, old.Prepare); err != nil {
			t.Fatal(err)
		}
		p = newProjection(t, db)
		project(t, p, events[back:], 4)
		if got := tableDump(t, db); got != want {
			t.Fatalf("replay from %d differs:\n%s", back, got)
		}
		p.Close()
	}
	db.Close()
}

func TestAttemptRowsCarryLocalTimeAndCard(t *testing.T) {
	db, err := OpenReadOnly(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.AdHoc(context.Background(), `SELECT local_hour, weekday, time_zone, network, funding, card_country, customer_country,
		case_attempt, first_failure, is_retry, recovers, preset_id FROM payment_attempts WHERE invoice_id = 'C'`)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(11), int64(0), "Europe/Berlin", "mastercard", "credit", "DE", "DE", int64(1), true, false, false, nil}
	if fmt.Sprint(res.Rows) != fmt.Sprint([][]any{want}) {
		t.Fatalf("row %v, want %v", res.Rows, want)
	}
}

func TestProjectionRefusesMalformedEvents(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "a.duckdb"))
	defer db.Close()
	p := newProjection(t, db)
	defer p.Close()
	events := record(t, fixture())
	bad := events[8] // PaymentAttempted
	bad.Data = []byte(`{"invoice_id":"A","amount":"ten"}`)
	err := p.Apply(context.Background(), append(events[:8:8], bad))
	if err == nil || !strings.Contains(err.Error(), "amount") {
		t.Fatalf("err = %v, want one naming amount", err)
	}
	if _, ok, _ := p.Checkpoint(context.Background()); ok {
		t.Fatal("a failed batch stored a checkpoint")
	}
	if got := tableDump(t, db); strings.Contains(got, "cus_ny") {
		t.Fatalf("a failed batch left rows:\n%s", got)
	}
}
