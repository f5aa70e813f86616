package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/recoupledger/recoup/domain"
)

// encodingJSON is what writeJSON sends for v: json.Encoder.Encode's bytes.
func encodingJSON(tb testing.TB, v any) ([]byte, error) {
	tb.Helper()
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

// checkRecommendationJSON holds appendJSON to encoding/json on v: the
// same bytes, or a refusal where encoding/json fails.
func checkRecommendationJSON(t *testing.T, v *Recommendation) {
	t.Helper()
	want, err := encodingJSON(t, v)
	got, ok := v.appendJSON([]byte("prefix"))
	if err != nil || !ok {
		if ok || err == nil {
			t.Fatalf("appendJSON ok %v, encoding/json error %v, for %+v", ok, err, v)
		}
		return
	}
	if !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("appendJSON differs from encoding/json:\n got  %s\n want %s", got[len("prefix"):], want)
	}
}

// The planners' recommendations as the handler views them, mixture and
// logistic, with and without candidates (allowed and refused), of many
// inline failed payments: appendJSON writes encoding/json's bytes.
func TestRecommendationJSONMatchesEncoding(t *testing.T) {
	lm, err := testMixture()
	if err != nil {
		t.Fatal(err)
	}
	planners := []Recommender{lm.Planner(nil), testPlanner()}
	r := rand.New(rand.NewPCG(5, 6))
	codes := []string{"insufficient_funds", "do_not_honor", "generic_decline", "card_velocity_exceeded", "processing_error", "try_again_later"}
	zones := []string{"America/Chicago", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", ""}
	asOf := time.Date(2026, 3, 27, 13, 0, 0, 0, time.UTC)
	for i := 0; i < 120; i++ {
		failed := asOf.Add(-time.Duration(30+r.IntN(40*60)) * time.Minute)
		c := map[string]any{"decline_code": codes[r.IntN(len(codes))], "network": []string{"visa", "mastercard", "amex"}[r.IntN(3)],
			"funding": []string{"credit", "debit", "prepaid"}[r.IntN(3)], "country": "US", "amount": 100 + r.IntN(90000),
			"currency": "usd", "failed_at": failed.Format(time.RFC3339)}
		if z := zones[r.IntN(len(zones))]; z != "" {
			c["time_zone"] = z
		}
		if r.IntN(3) == 0 {
			c["attempts"] = 1 + r.IntN(4)
			c["first_failed_at"] = failed.Add(-time.Duration(1+r.IntN(100)) * time.Hour).Format(time.RFC3339)
		}
		body := map[string]any{"context": c, "as_of": asOf.Format(time.RFC3339)}
		if r.IntN(2) == 0 {
			body["max_retries"], body["window_days"] = 1+r.IntN(8), 1+r.IntN(20)
		}
		if r.IntN(2) == 0 {
			body["candidates"] = []string{asOf.Add(3 * time.Hour).Format(time.RFC3339Nano), asOf.Add(-time.Hour).Format(time.RFC3339),
				asOf.Add(time.Duration(r.IntN(500))*time.Hour + 1234567*time.Nanosecond).Format(time.RFC3339Nano), asOf.Add(90 * 24 * time.Hour).Format(time.RFC3339)}
		}
		raw, _ := json.Marshal(body)
		req := recommendRequest{now: asOf}
		if err := decodeBytes(raw, &req); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		rc := req.Context.retryContext(req.asOf)
		budget(&rc, nil, req.MaxRetries, req.WindowDays)
		p := planners[i%len(planners)]
		rec, err := p.Recommend(context.Background(), rc)
		if len(req.candidates) == 0 {
			rec, err = p.RecommendSchedule(context.Background(), rc)
		}
		if err != nil {
			t.Fatal(err)
		}
		var id *string
		if i%5 == 0 {
			s := "in_" + strings.Repeat("x", i%7)
			id = &s
		}
		checkRecommendationJSON(t, recommendationView(rec, rc, id, req.candidates))
	}
}

// Values encoding/json writes in its own ways: escapes (HTML, control
// bytes, invalid UTF-8, the line and paragraph separators), floats in
// exponent form and at the cutoffs, negative zero, times in other zones
// and with nanoseconds, nil slices and pointers; and the values it
// refuses (a number that is not finite, a year of five digits).
func TestRecommendationJSONEdges(t *testing.T) {
	at := time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.FixedZone("X", 5*3600+1800))
	strs := []string{"", `a "quoted" \ path`, "<b>&amp;</b>", "tab\tnew\nline\rcr\bbs\fff\x00\x01\x1f\x7f", "caf\u00e9 \u2028 \u2029 \U0001F600",
		"bad \xff utf8 \xe2\x82", "ok"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99999e-7, 1e-7, 5e-324, 1e20, 1e21, 123456789.125, -2.5e-10, math.MaxFloat64}
	for i, s := range strs {
		f := floats[i%len(floats)]
		g := floats[(i+5)%len(floats)]
		p := f
		v := &Recommendation{Object: s, ModelVersion: s, Retry: i%2 == 0, Explanation: s, TimeZone: s, AsOf: at, RetriesLeft: i - 3,
			Schedule:      []domain.PlannedSlot{{At: at, Probability: f}, {At: at.UTC(), Probability: g}},
			Candidates:    []ScoredCandidate{{At: at, Allowed: true, Probability: &p}, {At: at.In(time.UTC), Reason: s}},
			Contributions: []domain.Contribution{{Feature: s, Value: f, Effect: g}}}
		if i%2 == 1 {
			v.InvoiceID, v.NextAttemptAt, v.Window = &s, &at, Window{Start: &at, End: &at}
			v.Schedule, v.Candidates, v.Contributions = nil, nil, nil
		}
		checkRecommendationJSON(t, v)
	}
	for _, f := range floats {
		checkRecommendationJSON(t, &Recommendation{Contributions: []domain.Contribution{{Value: f, Effect: -f}}})
	}
	for _, bad := range []*Recommendation{
		{Schedule: []domain.PlannedSlot{{Probability: math.NaN()}}},
		{Contributions: []domain.Contribution{{Effect: math.Inf(-1)}}},
		{AsOf: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{AsOf: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600))},
	} {
		checkRecommendationJSON(t, bad)
	}
}

// appendJSON writes encoding/json's bytes for any string, float and time.
func FuzzRecommendationJSON(f *testing.F) {
	f.Add("retry at <Mon> & \"tue\"", 0.25, int64(1774000000123456789), 3600)
	f.Add("\xff\u2028", 1e-9, int64(-6213559680000000000), -7200)
	f.Fuzz(func(t *testing.T, s string, x float64, ns int64, off int) {
		at := time.Unix(0, ns).In(time.FixedZone("z", off%(30*3600)))
		v := &Recommendation{Object: s, Explanation: s, AsOf: at, NextAttemptAt: &at,
			Schedule:      []domain.PlannedSlot{{At: at, Probability: x}},
			Contributions: []domain.Contribution{{Feature: s, Value: x, Effect: -x}}}
		checkRecommendationJSON(t, v)
	})
}

// plain8 is the byte-by-byte test of jsonSafe on eight bytes, for every
// byte value in every position among safe ones, and at random.
func TestPlain8(t *testing.T) {
	check := func(w [8]byte) {
		t.Helper()
		want := true
		for _, c := range w {
			want = want && c < utf8.RuneSelf && jsonSafe[c]
		}
		if got := plain8(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("plain8(%q) = %v, want %v", w, got, want)
		}
	}
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			w := [8]byte{'a', 'b', ' ', '~', 'z', '0', '%', '('}
			w[pos] = byte(c)
			check(w)
			w[(pos+3)%8] = 0x1f
			check(w)
		}
	}
	r := rand.New(rand.NewPCG(8, 9))
	for i := 0; i < 100000; i++ {
		var w [8]byte
		for k := range w {
			w[k] = byte(0x20 + r.IntN(0x60))
			if r.IntN(16) == 0 {
				w[k] = byte(r.IntN(256))
			}
		}
		check(w)
	}
}
