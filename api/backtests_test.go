package api

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func withModel(c *Config) {
	p := testPlanner()
	c.Recommender, c.Model = p, p.Scorer
}

// seedFailures records n failed invoices, a third of them recovered by a
// later retry, as a billing system would report them.
func seedFailures(t *testing.T, h *harness, n int) {
	t.Helper()
	base := time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)
	var lines []byte
	add := func(kind string, data map[string]any) {
		data["occurred_at"] = data["_at"].(time.Time).Format(time.RFC3339)
		data["backfill"] = true
		delete(data, "_at")
		b, _ := json.Marshal(map[string]any{"type": kind, "data": data})
		lines = append(append(lines, b...), '\n')
	}
	for i := range n {
		at := base.Add(time.Duration(i) * 7 * time.Hour)
		cus, pm, inv := fmt.Sprintf("cus_%d", i), fmt.Sprintf("pm_%d", i), fmt.Sprintf("in_%d", i)
		add("customer_registered", map[string]any{"_at": at, "customer_id": cus, "country": "US", "time_zone": "America/Denver"})
		add("payment_method_attached", map[string]any{"_at": at, "payment_method_id": pm, "customer_id": cus, "network": "visa",
			"funding": "debit", "country": "US", "exp_month": 1, "exp_year": 2030})
		add("invoice_finalized", map[string]any{"_at": at, "invoice_id": inv, "customer_id": cus, "payment_method_id": pm,
			"amount": 1000 + 100*i, "currency": "usd"})
		add("payment_attempted", map[string]any{"_at": at.Add(time.Minute), "invoice_id": inv, "payment_method_id": pm,
			"attempt_number": 1, "amount": 1000 + 100*i, "currency": "usd", "outcome": "failed", "decline_code": "insufficient_funds"})
		out := map[string]any{"_at": at.Add(49 * time.Hour), "invoice_id": inv, "payment_method_id": pm, "attempt_number": 2,
			"amount": 1000 + 100*i, "currency": "usd", "outcome": "failed", "decline_code": "insufficient_funds", "initiator": "retry"}
		if i%3 == 0 {
			out["outcome"] = "succeeded"
			delete(out, "decline_code")
		}
		add("payment_attempted", out)
	}
	wantStatus(t, h.post("/v1/ledger/import", writeKey, string(lines)), 200)
}

func TestBacktestJob(t *testing.T) {
	h := newHarness(t, withModel)
	seedFailures(t, h, 30)
	r := h.post("/v1/backtests", writeKey, map[string]any{
		"candidate": map[string]any{"name": "five", "schedule": []int{1, 1, 2, 2, 3}, "during_recovery": "pause",
			"after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"},
		"bootstrap": 100, "seed": 3,
	})
	wantStatus(t, r, 202)
	var bt Backtest
	_ = json.Unmarshal(r.body, &bt)
	if bt.ID == "" || r.header.Get("Location") != "/v1/backtests/"+bt.ID {
		t.Fatalf("job %+v location %q", bt, r.header.Get("Location"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for bt.Status != "succeeded" && bt.Status != "failed" {
		if time.Now().After(deadline) {
			t.Fatalf("backtest still %s: %+v", bt.Status, bt.Progress)
		}
		time.Sleep(50 * time.Millisecond)
		r = h.get("/v1/backtests/"+bt.ID, readKey)
		wantStatus(t, r, 200)
		_ = json.Unmarshal(r.body, &bt)
	}
	if bt.Status != "succeeded" || bt.Result == nil || bt.Finished == nil {
		t.Fatalf("backtest ended %+v (error %v)", bt, bt.Error)
	}
	res := bt.Result
	if res.Invoices != 30 || res.BaselineKind != "observed" || res.ModelVersion == "" {
		t.Fatalf("result %+v", res)
	}
	c := res.Candidate.RecoveredPct
	if c.Lo > c.Est || c.Est > c.Hi || c.Est < 0 || c.Est > 100 {
		t.Fatalf("candidate interval %+v", c)
	}
	if o := res.Baseline.RecoveredPct.Est; o < 33 || o > 34 {
		t.Fatalf("observed baseline recovery %.2f%%, want 10/30", o)
	}
}

func TestBacktestValidation(t *testing.T) {
	h := newHarness(t, withModel)
	tests := []struct {
		body  map[string]any
		param string
	}{
		{map[string]any{}, "candidate"},
		{map[string]any{"candidate_preset_id": "default", "candidate": map[string]any{}}, "candidate_preset_id"},
		{map[string]any{"candidate_preset_id": "default", "bootstrap": 5}, "bootstrap"},
		{map[string]any{"candidate_preset_id": "default", "model_refits": 51}, "model_refits"},
		{map[string]any{"candidate": map[string]any{"name": "x", "schedule": []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, "during_recovery": "pause",
			"after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"}}, "candidate.schedule"},
	}
	for _, tt := range tests {
		r := h.post("/v1/backtests", writeKey, tt.body)
		wantStatus(t, r, 400)
		found := false
		for _, e := range r.problem(t).Errors {
			found = found || e.Param == tt.param
		}
		if !found {
			t.Errorf("%v: errors %+v lack %s", tt.body, r.problem(t).Errors, tt.param)
		}
	}
	wantStatus(t, h.post("/v1/backtests", writeKey, map[string]any{"candidate_preset_id": "dp_missing"}), 404)
	wantStatus(t, h.get("/v1/backtests/bt_missing", readKey), 404)
	// An empty ledger fails the job, reported on the job.
	r := h.post("/v1/backtests", writeKey, map[string]any{"candidate_preset_id": "default", "bootstrap": 100})
	wantStatus(t, r, 202)
	var bt Backtest
	_ = json.Unmarshal(r.body, &bt)
	for i := 0; i < 200 && bt.Status != "failed"; i++ {
		time.Sleep(20 * time.Millisecond)
		_ = json.Unmarshal(h.get("/v1/backtests/"+bt.ID, readKey).body, &bt)
	}
	if bt.Status != "failed" || bt.Error == nil {
		t.Fatalf("job on an empty ledger: %+v", bt)
	}
}

// waitBacktest polls a job until it has finished.
func waitBacktest(t *testing.T, h *harness, id string) Backtest {
	t.Helper()
	var bt Backtest
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := h.get("/v1/backtests/"+id, readKey)
		wantStatus(t, r, 200)
		if err := json.Unmarshal(r.body, &bt); err != nil {
			t.Fatal(err)
		}
		if bt.Finished != nil {
			return bt
		}
		if time.Now().After(deadline) {
			t.Fatalf("backtest %s still %s: %+v", id, bt.Status, bt.Progress)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Jobs live in the data directory: a finished job's result is served
// again by the next server on the same directory; a job the server's
// shutdown cut short, and one a crash left running, are reported failed
// as interrupted.
func TestBacktestJobsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	storeDir := filepath.Join(dir, "backtests")
	closed := map[*BacktestStore]bool{}
	open := func() (*harness, *BacktestStore) {
		bts, err := OpenBacktestStore(storeDir)
		if err != nil {
			t.Fatal(err)
		}
		// Registered before the harness, so it runs after the harness
		// has stopped the server and its jobs.
		t.Cleanup(func() {
			if !closed[bts] {
				_ = bts.Close()
			}
		})
		h := openHarness(t, dir, withModel, func(c *Config) { c.Backtests = bts })
		return h, bts
	}
	h, bts := open()
	seedFailures(t, h, 30)
	r := h.post("/v1/backtests", writeKey, map[string]any{"candidate_preset_id": "default", "bootstrap": 100, "seed": 4})
	wantStatus(t, r, 202)
	var done Backtest
	_ = json.Unmarshal(r.body, &done)
	done = waitBacktest(t, h, done.ID)
	if done.Status != "succeeded" || done.Result == nil {
		t.Fatalf("first job ended %s (error %v)", done.Status, done.Error)
	}
	// Hold the server's only job slot so the next job stays queued, then
	// shut the server down under it.
	h.api.jobs.slot <- struct{}{}
	r = h.post("/v1/backtests", writeKey, map[string]any{"candidate_preset_id": "default", "bootstrap": 100})
	wantStatus(t, r, 202)
	var cut Backtest
	_ = json.Unmarshal(r.body, &cut)
	if got := h.get("/v1/backtests/"+cut.ID, readKey); !strings.Contains(string(got.body), `"queued"`) {
		t.Fatalf("job behind a held slot: %s", got.body)
	}
	h.close()
	// A server killed mid-job leaves its last persisted state: running.
	crashed := Backtest{Object: "backtest", ID: "bt_0123456789abcdef01234567", Status: "running",
		Progress: BacktestProgress{Phase: backtestPhaseEstimate, Done: 7, Total: 30}, Candidate: done.Candidate,
		Created: done.Created.Add(time.Second)}
	if err := bts.put(&crashed); err != nil {
		t.Fatal(err)
	}
	if err := bts.Close(); err != nil {
		t.Fatal(err)
	}
	closed[bts] = true

	h2, _ := open()
	again := waitBacktest(t, h2, done.ID)
	a, _ := json.Marshal(done)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Fatalf("finished job after a restart:\n%s\nwant\n%s", b, a)
	}
	for _, id := range []string{cut.ID, crashed.ID} {
		bt := waitBacktest(t, h2, id)
		if bt.Status != "failed" || bt.Error == nil || !strings.HasPrefix(*bt.Error, "interrupted") || bt.Result != nil {
			t.Fatalf("job %s after a restart: status %s error %v", id, bt.Status, bt.Error)
		}
	}
	// The new server runs new jobs as usual.
	r = h2.post("/v1/backtests", writeKey, map[string]any{"candidate_preset_id": "default", "bootstrap": 100, "seed": 4})
	wantStatus(t, r, 202)
	var next Backtest
	_ = json.Unmarshal(r.body, &next)
	if next = waitBacktest(t, h2, next.ID); next.Status != "succeeded" {
		t.Fatalf("job after a restart ended %s (error %v)", next.Status, next.Error)
	}
}
