package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

func cardActivityBody(device string) map[string]any {
	return map[string]any{"payment_method_id": "pm_1", "device_id": device, "occurred_at": "2026-01-02T03:04:05Z"}
}

func TestIdempotentReplay(t *testing.T) {
	h := newHarness(t)
	first := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_1"), "Idempotency-Key", "k-1")
	wantStatus(t, first, 200)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first response must not say it was replayed")
	}
	again := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_1"), "Idempotency-Key", "k-1")
	wantStatus(t, again, 200)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("replay: header %q body %s, want the first body %s", again.header.Get("Idempotent-Replayed"), again.body, first.body)
	}
	reused := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_2"), "Idempotency-Key", "k-1")
	wantStatus(t, reused, 409)
	if p := reused.problem(t); p.Code != CodeIdempotencyReused || p.Param != "Idempotency-Key" {
		t.Fatalf("problem = %+v", p)
	}
	// Keys belong to the API key that used them.
	other := h.post("/v1/ledger/card_activity", adminKey, cardActivityBody("dev_2"), "Idempotency-Key", "k-1")
	wantStatus(t, other, 200)
	long := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_3"), "Idempotency-Key", strings.Repeat("k", 256))
	wantStatus(t, long, 400)
	if p := long.problem(t); p.Code != CodeIdempotencyKeyBad {
		t.Fatalf("code = %s", p.Code)
	}
	if n := countAll(t, h); n != 2 {
		t.Fatalf("events = %d, want 2 (dev_1 once, dev_2 once)", n)
	}
}

func TestIdempotencyNotRememberedForValidationFailures(t *testing.T) {
	h := newHarness(t)
	bad := h.post("/v1/ledger/card_activity", writeKey, map[string]any{"payment_method_id": "pm_1"}, "Idempotency-Key", "k-fix")
	wantStatus(t, bad, 400)
	fixed := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_1"), "Idempotency-Key", "k-fix")
	wantStatus(t, fixed, 200)
}

func TestIdempotencySurvivesRestart(t *testing.T) {
	h := newHarness(t)
	first := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_1"), "Idempotency-Key", "k-restart")
	wantStatus(t, first, 200)
	dir := h.dir
	h.close()
	h2 := openHarness(t, dir)
	again := h2.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_1"), "Idempotency-Key", "k-restart")
	wantStatus(t, again, 200)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("after restart: replayed=%q body %s", again.header.Get("Idempotent-Replayed"), again.body)
	}
	reused := h2.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_9"), "Idempotency-Key", "k-restart")
	wantStatus(t, reused, 409)
}

func TestIdempotencyExpires(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.idem.now = func() time.Time { return now }
	wantStatus(t, h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_1"), "Idempotency-Key", "k-old"), 200)
	h.idem.now = func() time.Time { return now.Add(24 * time.Hour) }
	r := h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_2"), "Idempotency-Key", "k-old")
	wantStatus(t, r, 409) // still remembered at 24 h
	h.idem.now = func() time.Time { return now.Add(DefaultIdempotencyTTL + time.Minute) }
	r = h.post("/v1/ledger/card_activity", writeKey, cardActivityBody("dev_2"), "Idempotency-Key", "k-old")
	wantStatus(t, r, 200)
}

// TestIdempotencyInFlight holds a first request inside its handler and
// sends the same key again: the second gets 409 at once.
func TestIdempotencyInFlight(t *testing.T) {
	h := newHarness(t)
	entered, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	})
	srv := httptest.NewServer(h.api.authenticate(h.api.idempotent(slow)))
	defer srv.Close()
	send := func() *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+writeKey)
		req.Header.Set("Idempotency-Key", "k-busy")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		res.Body.Close()
		return res
	}
	var wg sync.WaitGroup
	var firstStatus int
	wg.Add(1)
	go func() {
		defer wg.Done()
		if res := send(); res != nil {
			firstStatus = res.StatusCode
		}
	}()
	<-entered
	second := send()
	close(release)
	wg.Wait()
	if second == nil || second.StatusCode != 409 || firstStatus != 200 {
		t.Fatalf("second = %v, first = %d; want 409 and 200", second, firstStatus)
	}
	third := send() // the first is done now: a plain replay
	if third.StatusCode != 200 || third.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("third = %d replayed=%q", third.StatusCode, third.Header.Get("Idempotent-Replayed"))
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RateLimit = RateLimit{PerSecond: 0.5, Burst: 2} })
	for i := 0; i < 2; i++ {
		wantStatus(t, h.get("/v1/invoices/in_1/events", readKey), 404)
	}
	r := h.get("/v1/invoices/in_1/events", readKey)
	wantStatus(t, r, 429)
	if ra := r.header.Get("Retry-After"); ra != "2" && ra != "1" {
		t.Fatalf("Retry-After = %q, want 1 or 2 seconds", ra)
	}
	if p := r.problem(t); p.Code != CodeRateLimited {
		t.Fatalf("code = %s", p.Code)
	}
	// Another key has its own bucket.
	wantStatus(t, h.get("/v1/invoices/in_1/events", adminKey), 404)
}

func countAll(t *testing.T, h *harness) int {
	t.Helper()
	recs, err := h.store.ReadAll(t.Context(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}
