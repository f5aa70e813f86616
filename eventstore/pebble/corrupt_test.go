package pebble

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/internal/pebblelog"
)

// seedStore writes three streams of events and closes the store.
func seedStore(t *testing.T, dir string) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"invoice-1", "invoice-2", "invoice-3"} {
		for i := range 3 {
			ev := eventstore.EventData{Type: "PaymentAttempted", Data: []byte(`{"invoice":"` + stream + `","attempt":` + string(rune('0'+i)) + `}`)}
			if _, err := s.Append(context.Background(), stream, eventstore.Any, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// rawEdit opens the directory with plain Pebble and lets edit change it.
func rawEdit(t *testing.T, dir string, edit func(db *pebble.DB)) {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{Logger: pebblelog.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	edit(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func rawGet(t *testing.T, db *pebble.DB, key []byte) []byte {
	t.Helper()
	v, closer, err := db.Get(key)
	if err != nil {
		t.Fatalf("get %x: %v", key, err)
	}
	defer closer.Close()
	return append([]byte(nil), v...)
}

// expectCorrupt checks every read that touches the damaged record fails
// with ErrCorruptRecord, and that reads that do not still work.
func expectCorrupt(t *testing.T, s *Store, stream, healthy string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.ReadAll(ctx, eventstore.ReadAllOptions{})
	if !errors.Is(err, eventstore.ErrCorruptRecord) {
		t.Fatalf("read $all over a damaged record: %v, want ErrCorruptRecord", err)
	}
	_, err = s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End})
	if !errors.Is(err, eventstore.ErrCorruptRecord) {
		t.Fatalf("read $all backwards over a damaged record: %v, want ErrCorruptRecord", err)
	}
	_, err = s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if !errors.Is(err, eventstore.ErrCorruptRecord) {
		t.Fatalf("read %s with a damaged record: %v, want ErrCorruptRecord", stream, err)
	}
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		m, err := sub.Recv(ctx)
		if err != nil {
			if !errors.Is(err, eventstore.ErrCorruptRecord) {
				t.Fatalf("subscription over a damaged record: %v, want ErrCorruptRecord", err)
			}
			break
		}
		if m.Event != nil && m.Event.Stream == stream {
			t.Fatalf("subscription delivered %s@%d from the damaged stream", m.Event.Stream, m.Event.Revision)
		}
	}
	if healthy != "" {
		if evs, err := s.ReadStream(ctx, healthy, eventstore.ReadStreamOptions{}); err != nil || len(evs) != 3 {
			t.Fatalf("read of undamaged %s: %d events, %v", healthy, len(evs), err)
		}
	}
}

// TestCorruptRecord damages the record of invoice-2@1 (position 5) in
// several ways through raw writes.
func TestCorruptRecord(t *testing.T) {
	const pos = 5
	cases := []struct {
		name string
		edit func(t *testing.T, db *pebble.DB)
	}{
		{"flipped data byte", func(t *testing.T, db *pebble.DB) {
			v := rawGet(t, db, globalKey(nil, pos))
			v[len(v)-5] ^= 0x01
			db.Set(globalKey(nil, pos), v, pebble.Sync)
		}},
		{"flipped checksum byte", func(t *testing.T, db *pebble.DB) {
			v := rawGet(t, db, globalKey(nil, pos))
			v[0] ^= 0x80
			db.Set(globalKey(nil, pos), v, pebble.Sync)
		}},
		{"flipped revision byte", func(t *testing.T, db *pebble.DB) {
			v := rawGet(t, db, globalKey(nil, pos))
			v[offRevision] ^= 0x02
			db.Set(globalKey(nil, pos), v, pebble.Sync)
		}},
		{"truncated", func(t *testing.T, db *pebble.DB) {
			v := rawGet(t, db, globalKey(nil, pos))
			db.Set(globalKey(nil, pos), v[:len(v)-3], pebble.Sync)
		}},
		{"record of another position", func(t *testing.T, db *pebble.DB) {
			db.Set(globalKey(nil, pos), rawGet(t, db, globalKey(nil, pos-1)), pebble.Sync)
		}},
		{"record missing", func(t *testing.T, db *pebble.DB) {
			// $all cannot see a hole, but the stream's index does.
			db.Delete(globalKey(nil, pos), pebble.Sync)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			seedStore(t, dir)
			rawEdit(t, dir, func(db *pebble.DB) { c.edit(t, db) })
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if c.name == "record missing" {
				_, err := s.ReadStream(context.Background(), "invoice-2", eventstore.ReadStreamOptions{})
				if !errors.Is(err, eventstore.ErrCorruptRecord) {
					t.Fatalf("read of a stream whose record vanished: %v, want ErrCorruptRecord", err)
				}
				return
			}
			expectCorrupt(t, s, "invoice-2", "invoice-1")
		})
	}
}

// TestCorruptFile flips a byte in a table file on disk: Pebble's block
// checksum catches it, and the store reports a corrupt record.
func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	seedStore(t, dir)
	rawEdit(t, dir, func(db *pebble.DB) {
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	var damaged bool
	for _, path := range tables {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// The first data block holds the g/ records: damage a byte in it.
		if i := strings.Index(string(b), "PaymentAttempted"); i >= 0 {
			b[i+3] ^= 0x20
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			damaged = true
		}
	}
	if !damaged {
		t.Fatal("no table file holds the records (compressed?)")
	}
	// Open reads the end of the log, here in the damaged block, so it may
	// be Open that finds the damage; otherwise the first read does.
	s, err := Open(dir, Options{})
	if err == nil {
		defer s.Close()
		_, err = s.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	}
	if !errors.Is(err, eventstore.ErrCorruptRecord) {
		t.Fatalf("open and read $all over a damaged table: %v, want ErrCorruptRecord", err)
	}
}
