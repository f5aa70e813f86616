package api

import (
	"bytes"
	stdjson "encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/projections/analytics"
)

// The codec's decisions, each pinned on the recommendation endpoint (it
// writes nothing): what v1 accepted is accepted, unknown members are
// refused naming their full path, and duplicate names and invalid UTF-8,
// which v1 let through, are refused.
func TestDecodeStrictness(t *testing.T) {
	h := newHarness(t, withPlanner)
	ctx := `"decline_code":"insufficient_funds","network":"visa","funding":"debit","time_zone":"America/Chicago","amount":4900,"currency":"usd","failed_at":"2026-03-02T15:00:00Z"`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		param  string
	}{
		{"accepted", `{"context":{` + ctx + `},"as_of":"2026-03-02T16:00:00Z"}`, 200, "", ""},
		// Names match exactly, as the document declares them (v1 folded case).
		{"names do not fold case", `{"Context":{` + ctx + `}}`, 400, CodeUnknownField, "Context"},
		{"nested names do not fold case", `{"context":{` + strings.Replace(ctx, `"amount"`, `"Amount"`, 1) + `}}`, 400, CodeUnknownField, "context.Amount"},
		{"unknown top-level field", `{"context":{` + ctx + `},"colour":"red"}`, 400, CodeUnknownField, "colour"},
		{"unknown nested field", `{"context":{` + ctx + `,"colour":"red"}}`, 400, CodeUnknownField, "context.colour"},
		{"wrong nested type", `{"context":{` + strings.Replace(ctx, `4900`, `"4900"`, 1) + `}}`, 400, CodeInvalidType, "context.amount"},
		{"wrong element type", `{"context":{` + ctx + `},"candidates":["2026-03-03T06:30:00Z",7]}`, 400, CodeInvalidType, "candidates[1]"},
		{"number out of range", `{"context":{` + strings.Replace(ctx, `4900`, `1e400`, 1) + `}}`, 400, CodeInvalidType, "context.amount"},
		{"duplicate field", `{"context":{` + ctx + `},"context":{` + ctx + `}}`, 400, CodeInvalidJSON, "context"},
		{"duplicate nested field", `{"context":{` + ctx + `,"amount":1}}`, 400, CodeInvalidJSON, "context.amount"},
		{"another case is another field", `{"context":{` + ctx + `,"Amount":1}}`, 400, CodeUnknownField, "context.Amount"},
		{"invalid UTF-8", `{"context":{` + strings.Replace(ctx, `usd`, "us\xff", 1) + `}}`, 400, CodeInvalidJSON, "context.currency"},
		{"lone surrogate", `{"context":{` + strings.Replace(ctx, `usd`, `us\ud800`, 1) + `}}`, 400, CodeInvalidJSON, "context.currency"},
		{"too deep", `{"context":` + strings.Repeat("[", 20000) + `}`, 400, CodeInvalidJSON, "context" + strings.Repeat("[0]", 83) + "…"},
		{"duplicate numeric member", `{"context":{` + ctx + `},"candidates":{"0":1,"0":2}}`, 400, CodeInvalidJSON, "candidates.0"},
		{"invalid UTF-8 in a numeric member", `{"candidates":{"0":"` + "\xff" + `"}}`, 400, CodeInvalidJSON, "candidates.0"},
		{"invalid UTF-8 in an element of an object field", `{"context":["` + "\xff" + `"]}`, 400, CodeInvalidJSON, "context[0]"},
		{"empty member name", `{"":1}`, 400, CodeUnknownField, `[""]`},
		{"empty nested member name", `{"context":{"":1}}`, 400, CodeUnknownField, `context[""]`},
		{"member name with a dot", `{"context":{"a.b":1}}`, 400, CodeUnknownField, `context["a.b"]`},
		{"member name with brackets and a quote", `{"context":{"[\"x":1}}`, 400, CodeUnknownField, `context["[\"x"]`},
		{"broken syntax before a field error", `{"colour":1,]`, 400, CodeInvalidJSON, ""},
		{"numeric member name", `{"context":{` + ctx + `,"7":1}}`, 400, CodeUnknownField, "context.7"},
		{"trailing data", `{"context":{` + ctx + `}} {}`, 400, CodeTrailingData, ""},
		{"trailing garbage", `{"context":{` + ctx + `}}x`, 400, CodeTrailingData, ""},
		{"cut short", `{"context":{` + ctx, 400, CodeInvalidJSON, ""},
		{"not an object", `"context"`, 400, CodeInvalidType, "$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post("/v1/recommendations/retry", writeKey, tt.body)
			wantStatus(t, r, tt.status)
			if tt.status == 200 {
				return
			}
			p := r.problem(t)
			if p.Code != tt.code || p.Param != tt.param {
				t.Fatalf("code, param = %q, %q; want %q, %q (%s)", p.Code, p.Param, tt.code, tt.param, p.Detail)
			}
		})
	}
}

// Every decoder of a request body refuses an unknown field by name.
func TestEveryDecoderRefusesUnknownFields(t *testing.T) {
	dsts := map[string]func() any{
		"recommendation": func() any { return &recommendRequest{now: time.Now()} },
		"preset":         func() any { return &presetFields{} },
		"settings":       func() any { return &settingsFields{} },
		"backtest":       func() any { return &backtestRequest{} },
		"sql":            func() any { return &sqlRequest{} },
		"product":        func() any { return &productCreate{} },
		"assignment":     func() any { return &presetAssignment{} },
		"import line":    func() any { return &ImportLine{} },
		"empty action":   func() any { return &struct{}{} },
	}
	for kind, mk := range commandKinds {
		dsts["command "+kind] = func() any { return mk() }
	}
	for name, mk := range dsts {
		err := decodeBytes([]byte(`{"zz_unknown":1}`), mk())
		if p := asProblem(err); err == nil || p.Code != CodeUnknownField || p.Param != "zz_unknown" {
			t.Errorf("%s: decoding an unknown field gave %v", name, err)
		}
	}
}

// The responses the API writes are byte for byte what encoding/json (v1)
// wrote before the codec changed: HTML characters and U+2028 escaped,
// nil slices as null, omitempty as v1, map keys sorted, times in RFC 3339
// with nanoseconds, raw event data as sent.
func TestEncodingMatchesV1(t *testing.T) {
	lm, err := testMixture()
	if err != nil {
		t.Fatal(err)
	}
	var req recommendRequest
	req.now = time.Now()
	raw, _ := stdjson.Marshal(inlineBody())
	if err := decodeBytes(raw, &req); err != nil {
		t.Fatal(err)
	}
	rc := req.Context.retryContext(req.asOf)
	budget(&rc, nil, nil, nil)
	rec, err := lm.Planner(nil).Recommend(t.Context(), rc)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 15, 0, 0, 123456789, time.FixedZone("X", 3600))
	id := "in_<1>&"
	values := []any{
		recommendationView(rec, rc, &id, req.candidates),
		recommendationView(rec, rc, nil, nil),
		&Recommendation{Object: "retry_recommendation", Explanation: "a <b> & c\u2028d", AsOf: at},
		validationProblem([]FieldError{{Param: "context.amount", Code: CodeOutOfRange, Detail: "must be > 0"}}),
		newProblem(404, CodeNotFound, "", "no <such> thing"),
		Event{Object: "event", Data: stdjson.RawMessage(`{"b": 1, "a":"<x>"}`), Created: at, OccurredAt: &at},
		map[string]any{"z": 1, "a": []int(nil), "m": map[string]int(nil), "f": 1e-7, "g": 1e21, "h": 0.1},
		domain.PlannedSlot{At: at, Probability: 0.1 + 0.2},
		analytics.Result{Query: "q<1>", Columns: []string{"a", "b & c", "d"}, Types: []string{"VARCHAR", "DOUBLE", "BIGINT"},
			Rows: [][]any{{"x<y>\u2028", 0.1 + 0.2, int64(1) << 60}, {nil, 1e-9, int64(-3)}}},
	}
	for _, v := range values {
		want, err := stdjson.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := encode(&got, v); err != nil {
			t.Fatal(err)
		}
		if want = append(want, '\n'); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%T:\n got %s\nwant %s", v, got.Bytes(), want)
		}
	}
}
