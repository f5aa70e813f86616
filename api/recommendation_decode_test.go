package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// checkDecodeFast holds decodeFast to encoding/json on body: when it
// accepts a body, encoding/json (as decodeBytes runs it, without the
// validation) accepts it too and fills the same fields.
func checkDecodeFast(t *testing.T, body []byte) bool {
	t.Helper()
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	fast := recommendRequest{now: now}
	if !fast.decodeFast(body) {
		return false
	}
	var want recommendRequest
	if err := decodeBytes(body, (*noValidation)(&want)); err != nil {
		t.Fatalf("decodeFast accepted %q, encoding/json: %v", body, err)
	}
	want.now = now
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("decodeFast(%q) = %+v (context %+v), encoding/json %+v (context %+v)", body, fast, fast.Context, want, want.Context)
	}
	return true
}

// noValidation is a recommendRequest that decodeBytes does not validate.
type noValidation recommendRequest

// The bodies integrators and the benchmark send take the fast path and
// decode as encoding/json decodes them; others are declined, to be read
// (and refused, where they are wrong) by encoding/json as before.
func TestRecommendationDecodeFast(t *testing.T) {
	raw, _ := json.Marshal(inlineBody())
	plain := [][]byte{raw,
		[]byte(`{"invoice_id":"in_123","max_retries":8,"window_days":14,"as_of":"2026-03-02T16:00:00Z","candidates":[]}`),
		[]byte(" {\n \"context\" : {\"decline_code\":\"do_not_honor\",\"advice_code\":\"01\",\"network\":\"mastercard\",\"funding\":\"credit\",\"country\":\"GB\",\"card_country\":\"FR\",\"time_zone\":\"Europe/London\",\"amount\":-0,\"currency\":\"gbp\",\"failed_at\":\"2026-03-01T10:00:00Z\",\"first_failed_at\":\"2026-02-28T10:00:00Z\",\"payment_method_updated_at\":\"2026-02-20T10:00:00Z\",\"attempts\":3} ,\"candidates\":[\"a\",\"b\"]}\t"),
		[]byte(`{}`), []byte(`{"context":{}}`),
	}
	plain = append(plain, benchBodies()...)
	for _, b := range plain {
		if !checkDecodeFast(t, b) {
			t.Fatalf("decodeFast declined %q", b)
		}
	}
	for _, b := range []string{``, ` `, `[]`, `null`, `{"invoice_id":null}`, `{"invoice_id":"a\"b"}`, `{"invoice_id":"\u00e9"}`, `{"invoice_id":"é"}`,
		`{"max_retries":1.5}`, `{"max_retries":1e2}`, `{"max_retries":01}`, `{"max_retries":"3"}`, `{"max_retries":1234567890123456}`,
		`{"Invoice_ID":"a"}`, `{"invoice_id":"a","invoice_id":"b"}`, `{"unknown":1}`, `{"context":{"amount":5,"amount":6}}`,
		`{"context":{"amount":5}}x`, `{"context":{"amount":5}} {}`, `{"candidates":["a",]}`, `{"candidates":[1]}`, `{"a":1,}`,
		`{"invoice_id":"tab	in"}`, `{"context":{"decline_code":"x","extra":1}}`, `{"context":[]}`} {
		if checkDecodeFast(t, []byte(b)) {
			t.Fatalf("decodeFast accepted %q", b)
		}
	}
}

// benchBodies are bodies shaped as `recoup bench` sends them.
func benchBodies() [][]byte {
	var out [][]byte
	for i, code := range []string{"insufficient_funds", "do_not_honor", "generic_decline"} {
		c := map[string]any{"decline_code": code, "network": "visa", "funding": "debit", "country": "US", "time_zone": "America/Chicago",
			"amount": 500 + 1000*i, "currency": "usd", "failed_at": "2026-03-02T15:00:00Z"}
		if i == 1 {
			c["advice_code"], c["attempts"], c["first_failed_at"] = "02", 2, "2026-03-01T15:00:00Z"
		}
		b, _ := json.Marshal(map[string]any{"context": c})
		out = append(out, b)
	}
	return out
}

// Whatever decodeFast accepts, encoding/json decodes alike.
func FuzzRecommendationDecodeFast(f *testing.F) {
	raw, _ := json.Marshal(inlineBody())
	f.Add(raw)
	for _, b := range benchBodies() {
		f.Add(b)
	}
	f.Add([]byte(`{"max_retries":-12,"window_days":0,"candidates":["x"],"invoice_id":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodeFast(t, body)
	})
}
