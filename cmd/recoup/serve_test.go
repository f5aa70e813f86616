package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/api"
)

// TestServeApp assembles the real parts as `recoup serve` does, answers
// over loopback, projects a command into the read model live, and shuts
// down cleanly.
func TestServeApp(t *testing.T) {
	keys, err := api.ParseKeys("serve_test_key_0123456789:admin")
	if err != nil {
		t.Fatal(err)
	}
	base, shutdown := serveApp(t, appOptions{data: t.TempDir(), keys: keys, log: slog.New(slog.DiscardHandler)})
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
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("readiness", func() bool { c, _ := do("GET", "/readyz", ""); return c == 200 })
	code, body := do("POST", "/v1/ledger/invoice_finalized",
		`{"invoice_id":"in_s1","customer_id":"cus_1","payment_method_id":"pm_1","amount":700,"currency":"eur"}`)
	if code != 200 {
		t.Fatalf("command: %d %s", code, body)
	}
	waitFor("the invoice in the read model", func() bool {
		c, b := do("GET", "/v1/invoices/in_s1", "")
		var inv struct{ Status string }
		return c == 200 && json.Unmarshal([]byte(b), &inv) == nil && inv.Status == "open"
	})
	if c, b := do("POST", "/v1/recommendations/retry", `{"invoice_id":"in_s1"}`); c != 501 {
		t.Fatalf("without a model: %d %s", c, b)
	}
	if c, b := do("GET", "/metrics", ""); c != 200 || !strings.Contains(b, "recoup_engine_queue_depth") ||
		!strings.Contains(b, `recoup_projection_lag_events{projection="invoices"}`) {
		t.Fatalf("metrics: %d\n%s", c, b)
	}
	shutdown()
}

// serveApp opens the app as `recoup serve` does with opts and serves it
// on a loopback port. It returns the base URL and a shutdown that stops
// serving and closes the app, failing the test on either's error; a test
// that fails before calling it is shut down at cleanup.
func serveApp(t *testing.T, opts appOptions) (base string, shutdown func()) {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	a, err := openApp(ctx, opts)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		a.close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveUntil(ctx, ln, a) }()
	var once sync.Once
	shutdown = func() {
		once.Do(func() {
			stop()
			if err := <-served; err != nil {
				t.Error(err)
			}
			if err := a.close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(shutdown)
	return "http://" + ln.Addr().String(), shutdown
}
