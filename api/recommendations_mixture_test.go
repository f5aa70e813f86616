package api

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/smartretry"
)

// testMixture is a fitted latent-class model (smartretry's workload
// mixture) with testPlanner's logistic model as its fallback, loaded from
// its model file's bytes as serve loads it.
var testMixture = sync.OnceValues(func() (*smartretry.Loaded, error) {
	mix, err := smartretry.WorkloadMixture(context.Background(), 2)
	if err != nil {
		return nil, err
	}
	lg, ok := testPlanner().Scorer.(*smartretry.Logistic)
	if !ok {
		return nil, errors.New("testPlanner is not logistic")
	}
	mf, err := smartretry.NewMixtureFile(mix, smartretry.NewModelFile(lg, smartretry.Summary{}), smartretry.MixtureSummary{})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(mf)
	if err != nil {
		return nil, err
	}
	return smartretry.Decode(b)
})

// The mixture family served: the schedule with probabilities, the scored
// candidates, the classes, prior and slots explained, and the model
// version, every response valid against the document.
func TestRecommendationMixture(t *testing.T) {
	lm, err := testMixture()
	if err != nil {
		t.Fatal(err)
	}
	planner := lm.Planner(nil)
	h := newHarness(t, func(c *Config) { c.Recommender = planner })
	r := h.post("/v1/recommendations/retry", writeKey, inlineBody())
	wantStatus(t, r, 200)
	// Larger than the server's buffer, the body is sent with its length,
	// not chunked.
	if n := r.header.Get("Content-Length"); len(r.body) <= 2048 || n != strconv.Itoa(len(r.body)) {
		t.Fatalf("Content-Length %q for a body of %d bytes", n, len(r.body))
	}
	var rec Recommendation
	if err := json.Unmarshal(r.body, &rec); err != nil {
		t.Fatal(err)
	}
	if !rec.Retry || rec.ModelVersion != lm.Version || !strings.HasPrefix(rec.ModelVersion, "mixture-") || len(rec.Schedule) == 0 || len(rec.Schedule) > 3 {
		t.Fatalf("recommendation = %s", r.body)
	}
	failed := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	for _, s := range rec.Schedule {
		if s.At.Before(failed) || s.At.After(failed.Add(7*24*time.Hour)) || s.Probability <= 0 || s.Probability >= 1 {
			t.Fatalf("slot %+v outside the 7-day window or probability range", s)
		}
	}
	kinds := map[string]int{}
	for _, c := range rec.Contributions {
		kinds[strings.SplitN(strings.SplitN(c.Feature, ":", 2)[0], " ", 2)[0]]++
	}
	if kinds["class"] == 0 || kinds["prior"] != 1 || kinds["slot"] != len(rec.Schedule) {
		t.Fatalf("contributions %+v: want classes, the prior and one per slot", rec.Contributions)
	}
	if !strings.Contains(rec.Explanation, "class prior from decline category insufficient_funds, funding debit, country US") ||
		!strings.HasSuffix(strings.SplitN(rec.Explanation, "; class prior", 2)[0], "model "+lm.Version) {
		t.Fatalf("explanation %q", rec.Explanation)
	}
	// Candidates: the first is scored as the planner scores its hour; the
	// others are refused with a reason.
	rc := inlineRetryContext(t)
	direct, err := planner.Recommend(t.Context(), rc)
	if err != nil {
		t.Fatal(err)
	}
	if !direct.Plan.At.Equal(*rec.NextAttemptAt) || direct.Plan.Probability != rec.Schedule[0].Probability {
		t.Fatalf("served %v, planner %v", rec.NextAttemptAt, direct.Plan.At)
	}
	var want float64
	for _, s := range direct.Candidates {
		if s.At.Equal(time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)) {
			want = s.Probability
		}
	}
	if c0 := rec.Candidates[0]; len(rec.Candidates) != 3 || !c0.Allowed || c0.Probability == nil || *c0.Probability != want || want <= 0 {
		t.Fatalf("candidates %+v, want the first scored %v", rec.Candidates, want)
	}
	for _, c := range rec.Candidates[1:] {
		if c.Allowed || c.Probability != nil || c.Reason == "" {
			t.Fatalf("candidate %+v should be refused with a reason", c)
		}
	}
	// A card updated since the failure: the fallback plans, under the
	// file's version, and says so.
	body := inlineBody()
	body["context"].(map[string]any)["payment_method_updated_at"] = "2026-03-02T15:30:00Z"
	r = h.post("/v1/recommendations/retry", writeKey, body)
	wantStatus(t, r, 200)
	var up Recommendation
	_ = json.Unmarshal(r.body, &up)
	if !up.Retry || up.ModelVersion != lm.Version || !strings.Contains(up.Explanation, "card was updated") {
		t.Fatalf("card updated: %s", r.body)
	}
	// A card the networks forbid retrying: no plan.
	body = inlineBody()
	body["context"].(map[string]any)["decline_code"] = "stolen_card"
	r = h.post("/v1/recommendations/retry", writeKey, body)
	wantStatus(t, r, 200)
	var no Recommendation
	_ = json.Unmarshal(r.body, &no)
	if no.Retry || len(no.Schedule) != 0 || no.ModelVersion != lm.Version {
		t.Fatalf("stolen card: %s", r.body)
	}
}
