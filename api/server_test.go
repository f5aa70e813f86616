package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/recoupledger/recoup/domain"
)

func TestAuth(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		method string
		path   string
		key    string
		header string
		status int
		code   string
	}{
		{"no key", "GET", "/v1/invoices/in_1/events", "", "", 401, CodeUnauthenticated},
		{"wrong key", "GET", "/v1/invoices/in_1/events", "not_a_configured_key_0000", "", 401, CodeInvalidAPIKey},
		{"basic scheme", "GET", "/v1/invoices/in_1/events", "", "Basic dXNlcjpwYXNz", 401, CodeInvalidAPIKey},
		{"read key cannot write", "POST", "/v1/ledger/card_activity", readKey, "", 403, CodeForbidden},
		{"read key reads", "GET", "/v1/invoices/in_1/events", readKey, "", 404, CodeNotFound},
		{"admin reads", "GET", "/v1/invoices/in_1/events", adminKey, "", 404, CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.header != "" {
				hdr = []string{"Authorization", tt.header}
			}
			var body any
			if tt.method == "POST" {
				body = map[string]any{"payment_method_id": "pm_1", "device_id": "dev_1"}
			}
			r := h.req(tt.method, tt.path, tt.key, body, hdr...)
			wantStatus(t, r, tt.status)
			if p := r.problem(t); p.Code != tt.code {
				t.Fatalf("code = %q, want %q", p.Code, tt.code)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	tests := []struct {
		spec string
		err  string
	}{
		{"", "no API key"},
		{"abcdefghijklmnopq", "expected KEY:SCOPES"},
		{"short:read", "at least 16"},
		{"abcdefghijklmnopq:root", `scope "root"`},
		{"abcdefghijklmnopq:read,write; bcdefghijklmnopqr:admin", ""},
	}
	for _, tt := range tests {
		_, err := ParseKeys(tt.spec)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseKeys(%q) = %v, want error containing %q", tt.spec, err, tt.err)
		}
	}
	k, _ := ParseKeys("abcdefghijklmnopq:read;bcdefghijklmnopqr:admin")
	if p, ok := k.lookup("abcdefghijklmnopq"); !ok || !p.Has(ScopeRead) || p.Has(ScopeWrite) {
		t.Errorf("read key: ok=%v principal=%+v", ok, p)
	}
	if p, ok := k.lookup("bcdefghijklmnopqr"); !ok || !p.Has(ScopeWrite) || !p.Has(ScopeRead) {
		t.Errorf("admin key must hold read and write: %+v", p)
	}
	if _, ok := k.lookup("abcdefghijklmnop"); ok {
		t.Error("a prefix of a key must not authenticate")
	}
}

func TestStrictDecoding(t *testing.T) {
	h := newHarness(t)
	path := "/v1/ledger/card_activity"
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		param  string
	}{
		{"malformed", `{"payment_method_id": "pm_1",`, 400, CodeInvalidJSON, ""},
		{"not json", `hello`, 400, CodeInvalidJSON, ""},
		{"unknown field", `{"payment_method_id":"pm_1","device_id":"d","colour":"red"}`, 400, CodeUnknownField, "colour"},
		{"wrong type", `{"payment_method_id":42,"device_id":"d"}`, 400, CodeInvalidType, "payment_method_id"},
		{"wrong type bool", `{"payment_method_id":"pm_1","device_id":"d","backfill":"yes"}`, 400, CodeInvalidType, "backfill"},
		{"trailing data", `{"payment_method_id":"pm_1","device_id":"d"} {}`, 400, CodeTrailingData, ""},
		{"empty", ``, 400, CodeBodyRequired, ""},
		{"array", `[]`, 400, CodeInvalidType, "$"},
		{"missing fields", `{}`, 400, CodeValidationFailed, "payment_method_id"},
		{"future occurred_at", `{"payment_method_id":"pm_1","device_id":"d","occurred_at":"2999-01-01T00:00:00Z"}`, 400, CodeValidationFailed, "occurred_at"},
		{"backfill needs occurred_at", `{"payment_method_id":"pm_1","device_id":"d","backfill":true}`, 400, CodeValidationFailed, "occurred_at"},
		{"bad time", `{"payment_method_id":"pm_1","device_id":"d","occurred_at":"yesterday"}`, 400, CodeValidationFailed, "occurred_at"},
		{"too large", `{"payment_method_id":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, CodeBodyTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post(path, writeKey, tt.body)
			wantStatus(t, r, tt.status)
			p := r.problem(t)
			if p.Code != tt.code || p.Param != tt.param {
				t.Fatalf("code, param = %q, %q; want %q, %q (%s)", p.Code, p.Param, tt.code, tt.param, p.Detail)
			}
		})
	}
	// Nothing of any refused request was written.
	if n := countAll(t, h); n != 0 {
		t.Fatalf("refused requests wrote %d events", n)
	}
	r := h.post(path, writeKey, `{}`, "Content-Type", "text/plain")
	wantStatus(t, r, 415)
}

func TestValidationListsEveryField(t *testing.T) {
	h := newHarness(t)
	r := h.post("/v1/ledger/payment_attempted", writeKey, map[string]any{
		"invoice_id": "in_1", "attempt_number": 0, "amount": -5, "currency": "USD",
		"outcome": "failed", "decline_code": "not_a_code", "advice_code": "7", "network": "diners",
	})
	wantStatus(t, r, 400)
	p := r.problem(t)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Param+":"+e.Code)
	}
	want := []string{"payment_method_id:required", "attempt_number:out_of_range", "amount:out_of_range",
		"currency:invalid_value", "decline_code:unknown_decline_code", "advice_code:invalid_value", "network:invalid_value"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("errors = %v\nwant     %v", got, want)
	}
	if p.Param != "payment_method_id" || p.Type != ProblemTypePrefix+CodeValidationFailed || p.Title != "Bad Request" {
		t.Fatalf("problem head = %+v", p)
	}
}

func TestRoutesAndDocumentAgree(t *testing.T) {
	h := newHarness(t)
	loadDocument(t)
	routed := map[string]bool{}
	err := chi.Walk(h.api.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routed[strings.ToLower(method)+" "+strings.TrimSuffix(route, "/")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, item := range docTree["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			documented[m+" "+p] = true
		}
	}
	var missing, extra []string
	for r := range routed {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routed[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Fatalf("routes not in openapi.json: %v\ndocumented but not routed: %v", missing, extra)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	ready := fmt.Errorf("projections 12 events behind")
	h := newHarness(t, func(c *Config) {
		c.Ready = func(context.Context) error { return ready }
		lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "recoup_projection_lag_events", Help: "lag"}, []string{"projection"})
		lag.WithLabelValues("readmodel").Set(12)
		c.Collectors = []prometheus.Collector{lag}
		c.Queue = queueLen(3)
	})
	wantStatus(t, h.get("/healthz", ""), 200)
	r := h.get("/readyz", "")
	wantStatus(t, r, 503)
	if p := r.problem(t); p.Code != CodeNotReady || !strings.Contains(p.Detail, "12 events") {
		t.Fatalf("readyz problem = %+v", p)
	}
	ready = nil
	wantStatus(t, h.get("/readyz", ""), 200)
	r = h.get("/openapi.json", "")
	wantStatus(t, r, 200)
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi.json: %v %v", err, doc["openapi"])
	}
	h.get("/v1/invoices/in_x/events", readKey)
	r = h.get("/metrics", "")
	wantStatus(t, r, 200)
	for _, want := range []string{
		`recoup_http_requests_total{method="GET",route="/v1/invoices/{id}/events",status="404"} 1`,
		`recoup_http_request_duration_seconds_bucket{method="GET",route="/v1/invoices/{id}/events"`,
		`recoup_projection_lag_events{projection="readmodel"} 12`,
		`recoup_engine_queue_depth 3`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	r = h.get("/v1/nowhere", readKey)
	wantStatus(t, r, 404)
	if p := r.problem(t); p.Code != CodeRouteNotFound {
		t.Fatalf("code = %s", p.Code)
	}
}

type queueLen int

func (q queueLen) QueueDepth() int { return int(q) }

// TestDocumentListsDeclineCodes keeps the document's decline-code enum
// equal to the domain's table, which the decoders enforce.
func TestDocumentListsDeclineCodes(t *testing.T) {
	loadDocument(t)
	schemas := docTree["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"PaymentAttemptedCommand", "InlineRetryContext"} {
		enum := schemas[name].(map[string]any)["properties"].(map[string]any)["decline_code"].(map[string]any)["enum"].([]any)
		var got []string
		for _, v := range enum {
			got = append(got, v.(string))
		}
		if strings.Join(got, ",") != strings.Join(domain.DeclineCodes(), ",") {
			t.Errorf("%s.decline_code enum %v, domain has %v", name, got, domain.DeclineCodes())
		}
	}
}

// TestEveryRouteRequiresAKey walks the router: every /v1 route answers
// 401 without a key, and every /v1 POST answers 403 to a read-only key,
// before touching its body.
func TestEveryRouteRequiresAKey(t *testing.T) {
	h := newHarness(t)
	n := 0
	err := chi.Walk(h.api.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !strings.HasPrefix(route, "/v1/") {
			return nil
		}
		path := strings.NewReplacer("{id}", "x_1", "{name}", "recovery").Replace(route)
		r := h.req(method, path, "", nil)
		if r.status != 401 || r.problem(t).Code != CodeUnauthenticated {
			t.Errorf("%s %s without a key: %d %s", method, route, r.status, r.body)
		}
		if method == "POST" {
			r = h.req(method, path, readKey, "{}")
			if r.status != 403 || r.problem(t).Code != CodeForbidden {
				t.Errorf("%s %s with a read key: %d %s", method, route, r.status, r.body)
			}
		}
		n++
		return nil
	})
	if err != nil || n < 30 {
		t.Fatalf("walked %d routes: %v", n, err)
	}
}

// Under /v1 a path or method that matches no route still asks for a key
// first (401 without one, api-conventions.md), then answers 404 or 405.
func TestUnknownV1Path(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/v1/nowhere", "/v1", "/v1/"} {
		wantStatus(t, h.get(path, ""), 401)
		r := h.get(path, readKey)
		wantStatus(t, r, 404)
		if p := r.problem(t); p.Code != CodeRouteNotFound {
			t.Fatalf("%s: code = %s", path, p.Code)
		}
	}
	wantStatus(t, h.req("DELETE", "/v1/recommendations/retry", "", nil), 401)
	wantStatus(t, h.req("DELETE", "/v1/recommendations/retry", writeKey, nil), 405)
	// Outside /v1 nothing asks for a key.
	wantStatus(t, h.get("/nowhere", ""), 404)
}

// A 405 lists the methods the path has in Allow (RFC 9110 §15.5.6), also
// for a method the router does not know.
func TestMethodNotAllowedSendsAllow(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ method, path, key, allow string }{
		{"DELETE", "/v1/recommendations/retry", writeKey, "POST"},
		{"PURGE", "/v1/recommendations/retry", writeKey, "POST"},
		{"POST", "/healthz", "", "GET"},
	} {
		r := h.req(c.method, c.path, c.key, nil)
		wantStatus(t, r, 405)
		if got := r.header.Values("Allow"); len(got) != 1 || got[0] != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}

// The method label takes the standard methods and "other", so invented
// methods add one series, not one each.
func TestMetricsClampMethod(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"BREW", "WHEN", "GET"} {
		h.req(m, "/healthz", "", nil)
	}
	r := h.get("/metrics", "")
	wantStatus(t, r, 200)
	body := string(r.body)
	if strings.Contains(body, `method="BREW"`) || strings.Contains(body, `method="WHEN"`) {
		t.Fatalf("an invented method became a label:\n%s", body)
	}
	for _, want := range []string{
		`recoup_http_requests_total{method="other",route="unmatched",status="405"} 2`,
		`recoup_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
