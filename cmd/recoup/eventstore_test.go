package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// TestOpenEventStore opens the store each flag setting chooses and checks
// the event written lands where the flags said.
func TestOpenEventStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	storeFlags := &backend.Flags{Store: "pebble"}
	if _, err := openEventStore(ctx, storeFlags, dir, true); err == nil || !strings.Contains(err.Error(), "has no event store") {
		t.Fatalf("missing store with mustExist: %v", err)
	}
	s, err := openEventStore(ctx, storeFlags, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "invoice-1", eventstore.NoStream, eventstore.EventData{Type: "InvoiceFinalized", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ps, err := pebble.Open(filepath.Join(dir, "events"), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	srv, err := kurrenttest.Start(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	storeFlags = &backend.Flags{Store: "kurrentdb", KurrentDBURL: srv.URL()}
	k, err := openEventStore(ctx, storeFlags, "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	got, err := k.ReadStream(ctx, "invoice-1", eventstore.ReadStreamOptions{})
	if err != nil || len(got) != 1 {
		t.Fatalf("through KurrentDB: %v, %v", got, err)
	}

	storeFlags = &backend.Flags{Store: "kurrentdb"}
	var e *eventstore.Error
	if _, err := openEventStore(ctx, storeFlags, dir, false); !errors.As(err, &e) || e.Field != "kurrentdb-url" {
		t.Fatalf("kurrentdb without a URL: %v", err)
	}
}
