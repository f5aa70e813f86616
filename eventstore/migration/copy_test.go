package migration_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/migration"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

func openPebble(t *testing.T) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openDouble is a KurrentDB store: the adapter over the protocol double,
// itself on a fresh Pebble store.
func openDouble(t *testing.T) eventstore.Store {
	t.Helper()
	srv, err := kurrenttest.Start(openPebble(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	s, err := kurrent.Open(context.Background(), srv.URL(), kurrent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seed writes a small ledger with every feature a copy must carry:
// interleaved streams, multi-event appends, JSON and binary events with
// metadata, stream metadata, a soft-deleted stream, a soft-deleted and
// recreated one and a tombstoned one.
func seed(t *testing.T, s eventstore.Store) {
	t.Helper()
	ctx := context.Background()
	ev := func(typ string, i int) eventstore.EventData {
		return eventstore.EventData{ID: uuid.New(), Type: typ, Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: fmt.Appendf(nil, `{"schema":%d}`, i%3)}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	app := func(stream string, evs ...eventstore.EventData) {
		t.Helper()
		_, err := s.Append(ctx, stream, eventstore.Any, evs...)
		must(err)
	}
	for i := range 12 {
		app(fmt.Sprintf("invoice-%d", i%4), ev("InvoiceFinalized", i), ev("PaymentAttempted", i))
		app(fmt.Sprintf("customer-%d", i%3), ev("CustomerRegistered", i))
	}
	app("paymentmethod-1", eventstore.EventData{ID: uuid.New(), Type: "CardBlob", ContentType: eventstore.ContentTypeBinary, Data: []byte{0, 1, 0xfe}})
	five := uint64(2)
	must(s.SetStreamMetadata(ctx, "invoice-0", eventstore.Any, eventstore.StreamMetadata{MaxCount: &five}))
	must(s.Delete(ctx, "customer-1", eventstore.Any))
	must(s.Delete(ctx, "customer-2", eventstore.Any))
	app("customer-2", ev("CustomerRegistered", 99))
	must(s.Tombstone(ctx, "invoice-3", eventstore.Any))
	app("settings", ev("CollectionSettingsChanged", 100))
}

// sameLedger compares $all, every stream read and every stream's
// metadata of two stores.
func sameLedger(t *testing.T, a, b eventstore.Store) {
	t.Helper()
	ctx := context.Background()
	ea, err := a.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eb, err := b.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ea) != len(eb) {
		t.Fatalf("$all: %d events, want %d", len(eb), len(ea))
	}
	streams := map[string]bool{}
	for i := range ea {
		x, y := ea[i], eb[i]
		if x.ID != y.ID || x.Stream != y.Stream || x.Revision != y.Revision || x.Type != y.Type || x.ContentType != y.ContentType ||
			!bytes.Equal(x.Data, y.Data) || !bytes.Equal(x.Metadata, y.Metadata) {
			t.Fatalf("$all[%d] = %+v, want %+v", i, y, x)
		}
		streams[x.Stream] = true
	}
	for stream := range streams {
		ra, errA := a.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
		rb, errB := b.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
		if !sameErr(errA, errB) {
			t.Fatalf("read %s: %v, want %v", stream, errB, errA)
		}
		if len(ra) != len(rb) {
			t.Fatalf("read %s: %d events, want %d", stream, len(rb), len(ra))
		}
		for i := range ra {
			if ra[i].ID != rb[i].ID || ra[i].Revision != rb[i].Revision {
				t.Fatalf("read %s [%d]: %s@%d, want %s@%d", stream, i, rb[i].ID, rb[i].Revision, ra[i].ID, ra[i].Revision)
			}
		}
		ma, errA := a.StreamMetadata(ctx, stream)
		mb, errB := b.StreamMetadata(ctx, stream)
		if !sameErr(errA, errB) || fmt.Sprint(deref(ma)) != fmt.Sprint(deref(mb)) {
			t.Fatalf("metadata of %s: %v %v, want %v %v", stream, deref(mb), errB, deref(ma), errA)
		}
	}
}

func sameErr(a, b error) bool {
	for _, e := range []error{eventstore.ErrStreamNotFound, eventstore.ErrStreamDeleted} {
		if errors.Is(a, e) != errors.Is(b, e) {
			return false
		}
	}
	return (a == nil) == (b == nil)
}

func deref(m eventstore.StreamMetadata) [3]string {
	var out [3]string
	if m.MaxCount != nil {
		out[0] = fmt.Sprint(*m.MaxCount)
	}
	if m.MaxAge != nil {
		out[1] = m.MaxAge.String()
	}
	if m.TruncateBefore != nil {
		out[2] = fmt.Sprint(*m.TruncateBefore)
	}
	return out
}

// TestRoundTrip copies Pebble → KurrentDB (the double) → Pebble and
// expects the same ledger at every step.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	a := openPebble(t)
	seed(t, a)
	k := openDouble(t)
	rep, err := migration.Copy(ctx, a, k, migration.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resumed || rep.Tombstoned != 1 || rep.Deleted != 1 || rep.Metadata < 2 {
		t.Fatalf("report %+v, want a fresh copy with 1 tombstone, 1 soft delete, metadata", rep)
	}
	sameLedger(t, a, k)
	c := openPebble(t)
	if _, err := migration.Copy(ctx, k, c, migration.Options{}); err != nil {
		t.Fatal(err)
	}
	sameLedger(t, a, c)
	// A second run has nothing left to copy.
	rep, err = migration.Copy(ctx, a, k, migration.Options{})
	if err != nil || rep.Events != 0 || !rep.Resumed {
		t.Fatalf("second run: %+v, %v; want a resumed run copying nothing", rep, err)
	}
	sameLedger(t, a, k)
}

// TestInterruptedCopy stops a copy after each number of appends in turn
// (small pages, so streams are left half-copied) and restarts it: the
// result is always the same ledger, without duplicates.
func TestInterruptedCopy(t *testing.T) {
	a := openPebble(t)
	seed(t, a)
	for _, stopAfter := range []int{1, 5, 17} {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) {
			k := openDouble(t)
			ctx, cancel := context.WithCancel(context.Background())
			appends := 0
			_, err := migration.Copy(ctx, a, k, migration.Options{PageSize: 3, Progress: func(p migration.Progress) {
				if p.Phase == "events" {
					if appends++; appends == stopAfter {
						cancel()
					}
				}
			}})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted copy: %v, want context.Canceled", err)
			}
			rep, err := migration.Copy(context.Background(), a, k, migration.Options{PageSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Resumed {
				t.Fatalf("restart did not resume: %+v", rep)
			}
			sameLedger(t, a, k)
		})
	}
}

// TestRefusesForeignDestination checks a copy into a store holding other
// events stops before writing.
func TestRefusesForeignDestination(t *testing.T) {
	ctx := context.Background()
	a, b := openPebble(t), openPebble(t)
	seed(t, a)
	if _, err := b.Append(ctx, "invoice-x", eventstore.NoStream, eventstore.EventData{Type: "Other", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	_, err := migration.Copy(ctx, a, b, migration.Options{})
	if err == nil {
		t.Fatal("copy into a foreign store succeeded")
	}
	all, _ := b.ReadAll(ctx, eventstore.ReadAllOptions{})
	if len(all) != 1 || all[0].Created.After(before) {
		t.Fatalf("foreign destination was written to: %d events", len(all))
	}
}
