package main

import (
	"context"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/bench"
)

// TestKurrentBenchLoop runs the measuring loop over the protocol double
// (which says nothing about KurrentDB's speed, only that the loop works
// over the wire and its events land).
func TestKurrentBenchLoop(t *testing.T) {
	ps, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	srv, err := kurrenttest.Start(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	m, err := kurrentAppendConcurrent(context.Background(), srv.URL(), 8, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	all, err := ps.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Events == 0 || len(all) != m.Events {
		t.Fatalf("measured %d events, store holds %d", m.Events, len(all))
	}
}

// TestKurrentBenchSkipsWithoutURL checks the suite measures nothing (and
// does not fail the run) when no server is configured.
func TestKurrentBenchSkipsWithoutURL(t *testing.T) {
	t.Setenv(kurrentURLEnv, "")
	rows, err := benchKurrent(context.Background(), bench.NewEnv(context.Background(), t.TempDir(), true, nil))
	if err != nil || len(rows) != 0 {
		t.Fatalf("rows %+v, err %v; want none", rows, err)
	}
}
