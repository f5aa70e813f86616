package kurrent_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/eventstore/storetest"
)

// URLEnv names the environment variable with a real server's connection
// string; without it the real-server suite is skipped.
const URLEnv = "RECOUP_KURRENTDB_URL"

// TestContractThroughDouble runs the whole contract suite through the
// official client and this adapter, over gRPC on loopback, against the
// protocol test double backed by a Pebble store. It checks the adapter and
// the wire mapping, not KurrentDB itself: see TestContractRealServer.
func TestContractThroughDouble(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		srv, _ := startDouble(t)
		return openStore(t, srv.URL(), kurrent.Options{})
	})
}

// TestContractRealServer runs the contract suite against the KurrentDB
// server named by RECOUP_KURRENTDB_URL: the acceptance run.
func TestContractRealServer(t *testing.T) {
	url := os.Getenv(URLEnv)
	if url == "" {
		t.Skip(URLEnv + " is not set; no KurrentDB server to run the contract suite against")
	}
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return openStore(t, url, kurrent.Options{})
	})
}

// startDouble serves a fresh Pebble store through the test double.
func startDouble(t testing.TB) (*kurrenttest.Server, *pebble.Store) {
	t.Helper()
	ps, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := kurrenttest.Start(ps)
	if err != nil {
		ps.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("double: %v", err)
		}
		if err := ps.Close(); err != nil {
			t.Errorf("close pebble: %v", err)
		}
	})
	return srv, ps
}

func openStore(t testing.TB, url string, opts kurrent.Options) *kurrent.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := kurrent.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
