package api

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/recoupledger/recoup/projections"
)

// The card networks cap declined attempts per card, whatever the invoice:
// a recommendation for one invoice counts the card's declines on the
// customer's other invoices (found through the read models). Visa allows
// 15 in 30 days; with 14 declines elsewhere and this invoice's own, no
// retry fits in a 5-day window, while the same invoice alone would be
// retried.
func TestRecommendationCountsTheCardsOtherInvoices(t *testing.T) {
	var runner *projections.Runner
	h := newHarness(t, withPlanner, withReadModels(t, &runner))
	postAll(t, h, "customer_registered", "payment_method_attached")
	failed := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	invoice := func(id string, at time.Time) {
		fin := map[string]any{}
		for k, v := range ledgerCommands["invoice_finalized"] {
			fin[k] = v
		}
		fin["invoice_id"], fin["occurred_at"] = id, at.Add(-time.Hour).Format(time.RFC3339)
		wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, fin), 200)
		a := map[string]any{}
		for k, v := range ledgerCommands["payment_attempted"] {
			a[k] = v
		}
		a["invoice_id"], a["occurred_at"] = id, at.Format(time.RFC3339)
		wantStatus(t, h.post("/v1/ledger/payment_attempted", writeKey, a), 200)
	}
	recommend := func() Recommendation {
		t.Helper()
		if err := runner.CatchUp(t.Context()); err != nil {
			t.Fatal(err)
		}
		r := h.post("/v1/recommendations/retry", writeKey, map[string]any{"invoice_id": "in_1", "as_of": failed.Add(time.Hour).Format(time.RFC3339), "max_retries": 3, "window_days": 5})
		wantStatus(t, r, 200)
		var rec Recommendation
		if err := json.Unmarshal(r.body, &rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	invoice("in_1", failed)
	if rec := recommend(); !rec.Retry {
		t.Fatalf("one declined attempt on the card: no retry (%s)", rec.Explanation)
	}
	for k := 1; k <= 14; k++ {
		invoice(fmt.Sprintf("in_other_%d", k), failed.Add(-time.Duration(k)*24*time.Hour))
	}
	// An attempt older than the caps' window does not count.
	invoice("in_old", failed.Add(-40*24*time.Hour))
	rec := recommend()
	if rec.Retry || len(rec.Schedule) != 0 {
		t.Fatalf("15 declines on the card in 30 days: recommended %v (%s)", rec.Schedule, rec.Explanation)
	}
}
