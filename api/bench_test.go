package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkRecommendHandler measures one recommendation through the
// router and handler (no network), beside BenchmarkPlanner, the planner
// alone on the same context.
func BenchmarkRecommendHandler(b *testing.B) {
	h := newHarness(b, withPlanner)
	defer h.close()
	body, _ := json.Marshal(inlineBody())
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/recommendations/retry", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+writeKey)
		w := httptest.NewRecorder()
		h.api.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkPlanner(b *testing.B) {
	var req recommendRequest
	raw, _ := json.Marshal(inlineBody())
	req.now = time.Now()
	if err := decodeBytes(raw, &req); err != nil {
		b.Fatal(err)
	}
	rc := req.Context.retryContext(req.asOf)
	budget(&rc, nil, nil, nil)
	p := testPlanner()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Recommend(b.Context(), rc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecommendHandlerSchedule is BenchmarkRecommendHandler on the
// body `recoup bench` sends: an inline failed payment with no candidates
// and no as_of, so the handler plans the schedule only.
func BenchmarkRecommendHandlerSchedule(b *testing.B) {
	benchmarkRecommendHandlerSchedule(b, withPlanner)
}

// BenchmarkRecommendHandlerScheduleMixture is
// BenchmarkRecommendHandlerSchedule with the model the server ships, the
// latent-class mixture.
func BenchmarkRecommendHandlerScheduleMixture(b *testing.B) {
	lm, err := testMixture()
	if err != nil {
		b.Fatal(err)
	}
	planner := lm.Planner(nil)
	benchmarkRecommendHandlerSchedule(b, func(c *Config) { c.Recommender = planner })
}

func benchmarkRecommendHandlerSchedule(b *testing.B, opts ...harnessOption) {
	h := newHarness(b, opts...)
	defer h.close()
	c := inlineBody()["context"].(map[string]any)
	c["failed_at"] = time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	body, _ := json.Marshal(map[string]any{"context": c})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/recommendations/retry", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+writeKey)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.api.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
