package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/api"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// TestServeAppOnKurrentDB assembles `recoup serve --store kurrentdb`
// against the KurrentDB protocol double: a command's events go to the
// server, and the read model follows them through a catch-up
// subscription over gRPC.
func TestServeAppOnKurrentDB(t *testing.T) {
	backing, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer backing.Close()
	srv, err := kurrenttest.Start(backing)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	keys, err := api.ParseKeys("serve_test_key_0123456789:admin")
	if err != nil {
		t.Fatal(err)
	}
	base, shutdown := serveApp(t, appOptions{data: t.TempDir(), store: "kurrentdb", kurrent: srv.URL(), keys: keys, log: slog.New(slog.DiscardHandler)})
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer serve_test_key_0123456789")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	waitFor := func(what string, ok func() bool) {
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("readiness", func() bool { c, _ := do("GET", "/readyz", ""); return c == 200 })
	if c, b := do("POST", "/v1/ledger/invoice_finalized",
		`{"invoice_id":"in_k1","customer_id":"cus_1","payment_method_id":"pm_1","amount":700,"currency":"eur"}`); c != 200 {
		t.Fatalf("command: %d %s", c, b)
	}
	waitFor("the invoice in the read model", func() bool {
		c, b := do("GET", "/v1/invoices/in_k1", "")
		var inv struct{ Status string }
		return c == 200 && json.Unmarshal([]byte(b), &inv) == nil && inv.Status == "open"
	})
	// The events are in the server's store, not in the data directory.
	all, err := backing.ReadAll(t.Context(), eventstore.ReadAllOptions{})
	if err != nil || len(all) == 0 {
		t.Fatalf("server store holds %d events (%v)", len(all), err)
	}
	shutdown()
}
