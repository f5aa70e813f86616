package api

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// testPlanner is the real smart planner over a logistic model with seeded
// weights: the API must serve what the planner decides.
func testPlanner() *smartretry.Planner {
	names := smartretry.FeatureNames()
	rng := rand.New(rand.NewPCG(7, 7))
	w := make([]float64, len(names))
	for i := range w {
		w[i] = rng.Float64() - 0.5
		if names[i] == "bias" {
			w[i] = -2
		}
	}
	return smartretry.NewPlanner(smartretry.NewLogistic(w, smartretry.ModelVersion(w)), nil)
}

func withPlanner(c *Config) { c.Recommender = testPlanner() }

func inlineBody() map[string]any {
	return map[string]any{
		"context": map[string]any{
			"decline_code": "insufficient_funds", "network": "visa", "funding": "debit",
			"country": "US", "time_zone": "America/Chicago", "amount": 4900, "currency": "usd",
			"failed_at": "2026-03-02T15:00:00Z", "attempts": 1,
		},
		"as_of":      "2026-03-02T16:00:00Z",
		"candidates": []string{"2026-03-03T06:30:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"},
	}
}

func TestRecommendationInline(t *testing.T) {
	h := newHarness(t, withPlanner)
	r := h.post("/v1/recommendations/retry", writeKey, inlineBody())
	wantStatus(t, r, 200)
	var rec Recommendation
	if err := json.Unmarshal(r.body, &rec); err != nil {
		t.Fatal(err)
	}
	if !rec.Retry || rec.NextAttemptAt == nil || len(rec.Schedule) == 0 || len(rec.Schedule) > 3 || rec.ModelVersion == "" {
		t.Fatalf("recommendation = %+v", rec)
	}
	if rec.TimeZone != "America/Chicago" || rec.RetriesLeft != 3 || rec.Explanation == "" || len(rec.Contributions) == 0 {
		t.Fatalf("recommendation = %+v", rec)
	}
	failed := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	for _, s := range rec.Schedule {
		if s.At.Before(failed) || s.At.After(failed.Add(7*24*time.Hour)) || s.Probability <= 0 || s.Probability >= 1 {
			t.Fatalf("slot %+v outside the 7-day window or probability range", s)
		}
	}
	// The same context straight into the planner gives the same plan.
	rc := inlineRetryContext(t)
	direct, err := testPlanner().Recommend(t.Context(), rc)
	if err != nil {
		t.Fatal(err)
	}
	if !direct.Plan.At.Equal(*rec.NextAttemptAt) || direct.Plan.Probability != rec.Schedule[0].Probability {
		t.Fatalf("served %v (%v), planner %v (%v)", rec.NextAttemptAt, rec.Schedule[0].Probability, direct.Plan.At, direct.Plan.Probability)
	}
	// Candidates: the first is in the window and scored like its hour's
	// grid slot; the others are before the failure and after the window.
	if len(rec.Candidates) != 3 {
		t.Fatalf("candidates = %+v", rec.Candidates)
	}
	c0 := rec.Candidates[0]
	var want float64
	for _, s := range direct.Candidates {
		if s.At.Equal(time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)) {
			want = s.Probability
		}
	}
	if !c0.Allowed || c0.Probability == nil || *c0.Probability != want {
		t.Fatalf("candidate 0 = %+v, want probability %v", c0, want)
	}
	for _, c := range rec.Candidates[1:] {
		if c.Allowed || c.Probability != nil || c.Reason == "" {
			t.Fatalf("candidate %+v should be refused with a reason", c)
		}
	}
}

func TestRecommendationHardDecline(t *testing.T) {
	h := newHarness(t, withPlanner)
	body := inlineBody()
	body["context"].(map[string]any)["decline_code"] = "stolen_card"
	r := h.post("/v1/recommendations/retry", writeKey, body)
	wantStatus(t, r, 200)
	var rec Recommendation
	_ = json.Unmarshal(r.body, &rec)
	if rec.Retry || rec.NextAttemptAt != nil || len(rec.Schedule) != 0 {
		t.Fatalf("a stolen card must not be retried: %+v", rec)
	}
}

func TestRecommendationFromLedger(t *testing.T) {
	h := newHarness(t, withPlanner)
	for _, kind := range []string{"customer_registered", "payment_method_attached"} {
		wantStatus(t, h.post("/v1/ledger/"+kind, writeKey, ledgerCommands[kind]), 200)
	}
	fin := map[string]any{"occurred_at": "2026-03-02T14:00:00Z"}
	for k, v := range ledgerCommands["invoice_finalized"] {
		fin[k] = v
	}
	wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, fin), 200)
	body := map[string]any{"invoice_id": "in_1", "as_of": "2026-03-02T16:00:00Z", "max_retries": 2, "window_days": 5}
	r := h.post("/v1/recommendations/retry", writeKey, body)
	wantStatus(t, r, 409) // no failed attempt yet
	attempt := map[string]any{}
	for k, v := range ledgerCommands["payment_attempted"] {
		attempt[k] = v
	}
	attempt["occurred_at"] = "2026-03-02T15:00:00Z"
	wantStatus(t, h.post("/v1/ledger/payment_attempted", writeKey, attempt), 200)
	r = h.post("/v1/recommendations/retry", writeKey, body)
	wantStatus(t, r, 200)
	var rec Recommendation
	_ = json.Unmarshal(r.body, &rec)
	if rec.InvoiceID == nil || *rec.InvoiceID != "in_1" || !rec.Retry || len(rec.Schedule) > 2 || rec.TimeZone != "America/New_York" {
		t.Fatalf("recommendation = %+v", rec)
	}
	end := time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC)
	if last := rec.Schedule[len(rec.Schedule)-1]; last.At.After(end) {
		t.Fatalf("slot %v after the 5-day window %v", last.At, end)
	}
	wantStatus(t, h.post("/v1/recommendations/retry", writeKey, map[string]any{"invoice_id": "in_missing"}), 404)
}

func TestRecommendationValidation(t *testing.T) {
	h := newHarness(t, withPlanner)
	tests := []struct {
		name  string
		body  map[string]any
		param string
	}{
		{"neither", map[string]any{}, "invoice_id"},
		{"both", map[string]any{"invoice_id": "in_1", "context": map[string]any{}}, "context"},
		{"max retries", map[string]any{"invoice_id": "in_1", "max_retries": 9}, "max_retries"},
		{"window", map[string]any{"invoice_id": "in_1", "window_days": 0}, "window_days"},
		{"candidate", map[string]any{"invoice_id": "in_1", "candidates": []string{"soon"}}, "candidates[0]"},
		{"decline code", map[string]any{"context": map[string]any{"decline_code": "nope"}}, "context.decline_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post("/v1/recommendations/retry", writeKey, tt.body)
			wantStatus(t, r, 400)
			p := r.problem(t)
			found := false
			for _, e := range p.Errors {
				found = found || e.Param == tt.param
			}
			if !found {
				t.Fatalf("errors %+v lack %s", p.Errors, tt.param)
			}
		})
	}
	// An inline context missing everything lists every field.
	r := h.post("/v1/recommendations/retry", writeKey, map[string]any{"context": map[string]any{}})
	if p := r.problem(t); len(p.Errors) < 7 {
		t.Fatalf("errors = %+v", p.Errors)
	}
	r = h.post("/v1/recommendations/retry", readKey, inlineBody())
	wantStatus(t, r, 403)
}

func TestRecommendationNotConfigured(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.post("/v1/recommendations/retry", writeKey, inlineBody()), 501)
}

var _ = domain.Visa

// TestRecommendationFromLedgerAsOf: facts after as_of (here the payment
// that later recovered the invoice) are not known to the plan.
func TestRecommendationFromLedgerAsOf(t *testing.T) {
	h := newHarness(t, withPlanner)
	for _, kind := range []string{"customer_registered", "payment_method_attached"} {
		wantStatus(t, h.post("/v1/ledger/"+kind, writeKey, ledgerCommands[kind]), 200)
	}
	fin := map[string]any{"occurred_at": "2026-03-02T14:00:00Z"}
	for k, v := range ledgerCommands["invoice_finalized"] {
		fin[k] = v
	}
	wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, fin), 200)
	attempt := func(n int, at, outcome string) map[string]any {
		a := map[string]any{}
		for k, v := range ledgerCommands["payment_attempted"] {
			a[k] = v
		}
		a["attempt_number"], a["occurred_at"], a["outcome"] = n, at, outcome
		if outcome == "succeeded" {
			delete(a, "decline_code")
		}
		return a
	}
	wantStatus(t, h.post("/v1/ledger/payment_attempted", writeKey, attempt(1, "2026-03-02T15:00:00Z", "failed")), 200)
	wantStatus(t, h.post("/v1/ledger/payment_attempted", writeKey, attempt(2, "2026-03-04T15:00:00Z", "succeeded")), 200)
	r := h.post("/v1/recommendations/retry", writeKey, map[string]any{"invoice_id": "in_1", "as_of": "2026-03-02T16:00:00Z"})
	wantStatus(t, r, 200)
	var rec Recommendation
	_ = json.Unmarshal(r.body, &rec)
	if !rec.Retry || rec.RetriesLeft != 3 {
		t.Fatalf("planning before the recovery must see an unpaid invoice: %+v", rec)
	}
	// After the recovery there is nothing to plan.
	r = h.post("/v1/recommendations/retry", writeKey, map[string]any{"invoice_id": "in_1", "as_of": "2026-03-05T00:00:00Z"})
	wantStatus(t, r, 409)
}

// inlineRetryContext is the retry context the server builds from
// inlineBody: decoded, validated and budgeted as the handler does.
func inlineRetryContext(t *testing.T) domain.RetryContext {
	t.Helper()
	var req recommendRequest
	b, _ := json.Marshal(inlineBody())
	req.now = time.Now()
	if err := decodeBytes(b, &req); err != nil {
		t.Fatal(err)
	}
	rc := req.Context.retryContext(req.asOf)
	budget(&rc, nil, nil, nil)
	return rc
}
