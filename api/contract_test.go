package api

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Field paths, key checks and body limits the API conventions promise at
// the edges of the codec and the router.

// An object member whose name is all digits is a member, not an array
// index, and the empty name is quoted, not the whole body.
func TestParamNamesObjectMembers(t *testing.T) {
	for body, want := range map[string]string{`{"0":1}`: "0", `{"context":{"7":1}}`: "context.7", `{"":1}`: `[""]`} {
		p := asProblem(decodeBytes([]byte(body), &recommendRequest{now: time.Now()}))
		if p.Param != want {
			t.Errorf("%s: param %q, want %q (detail %s)", body, p.Param, want, p.Detail)
		}
	}
}

// Invalid UTF-8 and a lone surrogate are refused naming the field they
// are in.
func TestInvalidUTF8NamesField(t *testing.T) {
	ctx := `"decline_code":"insufficient_funds","network":"visa","funding":"debit","amount":4900,"currency":"usd","failed_at":"2026-03-02T15:00:00Z"`
	for _, tz := range []string{"America/Chic\xffago", `America/Chic\ud800ago`} {
		p := asProblem(decodeBytes([]byte(`{"context":{`+ctx+`,"time_zone":"`+tz+`"}}`), &recommendRequest{now: time.Now()}))
		if p.Param != "context.time_zone" {
			t.Errorf("%q: code %s param %q detail %s", tz, p.Code, p.Param, p.Detail)
		}
	}
}

// A missing key under /v1 is 401 (api-conventions.md), whatever the path
// or method.
func TestMissingKeyIs401UnderV1(t *testing.T) {
	h := newHarness(t)
	for _, c := range [][2]string{{"GET", "/v1/nowhere"}, {"DELETE", "/v1/recommendations/retry"}, {"GET", "/v1/analytics/sql"}} {
		if r := h.req(c[0], c[1], "", nil); r.status != 401 {
			t.Errorf("%s %s without a key: %d %s", c[0], c[1], r.status, r.body)
		}
	}
}

// The server refuses every body openapi.json declares invalid for its
// member names (additionalProperties: false, exact names): no case or
// Unicode folding.
func TestNamesMatchExactlyAsDocumented(t *testing.T) {
	h := newHarness(t, withPlanner)
	loadDocument(t)
	sch := compileAt(t, "#/components/schemas/RecommendationRequest")
	ctx := `"decline_code":"insufficient_funds","network":"visa","funding":"debit","time_zone":"America/Chicago","amount":4900,"currency":"usd","failed_at":"2026-03-02T15:00:00Z"`
	for _, body := range []string{`{"Context":{` + ctx + `}}`, `{"context":{` + ctx + `},"candidateſ":["2026-03-03T06:30:00Z"]}`, `{"context":{` + strings.Replace(ctx, "amount", "AMOUNT", 1) + `}}`} {
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(body)))
		docErr := sch.Validate(inst)
		r := h.post("/v1/recommendations/retry", writeKey, body)
		if docErr != nil && r.status == 200 {
			t.Errorf("server 200, document refuses: %s\n  %v", body, strings.SplitN(docErr.Error(), "\n", 3)[1:])
		}
	}
}

// The import route keeps its own body limit: an NDJSON body over
// MaxBodyBytes (and under MaxImportBytes) is accepted there, where a
// command's route refuses it with 413.
func TestImportTakesBodiesOverTheCommonLimit(t *testing.T) {
	h := newHarness(t)
	line := `{"type":"card_activity","data":{"payment_method_id":"pm_1","device_id":"d"}}` + "\n"
	body := line + strings.Repeat("\n", MaxBodyBytes)
	r := h.post("/v1/ledger/import", writeKey, body, "Content-Type", "application/x-ndjson")
	wantStatus(t, r, 200)
	if n := countAll(t, h); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
	r = h.post("/v1/ledger/card_activity", writeKey, `{"payment_method_id":"pm_1","device_id":"d"}`+strings.Repeat(" ", MaxBodyBytes))
	wantStatus(t, r, 413)
}
