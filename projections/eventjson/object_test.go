package eventjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func members(t testing.TB, data []byte) (map[string]string, error) {
	t.Helper()
	var o Object
	o.Reset(data)
	out := map[string]string{}
	for o.Next() {
		out[string(o.Key())] = string(o.Raw())
	}
	return out, o.Err()
}

func TestObjectMembers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
		bad  bool
	}{
		{"empty", `{}`, map[string]string{}, false},
		{"flat", `{"a":"x","b":12,"c":true,"d":null}`, map[string]string{"a": `"x"`, "b": "12", "c": "true", "d": "null"}, false},
		{"nested skipped", `{"a":{"x":[1,2,{"y":"}"}]},"b":-1.5e3}`, map[string]string{"a": `{"x":[1,2,{"y":"}"}]}`, "b": "-1.5e3"}, false},
		{"spaces", " { \"a\" : [ ] , \"b\" : { } } ", map[string]string{"a": "[ ]", "b": "{ }"}, false},
		{"escaped key", `{"a\"b":1}`, map[string]string{`a"b`: "1"}, false},
		{"not object", `[1]`, nil, true},
		{"unterminated", `{"a":1`, nil, true},
		{"trailing", `{"a":1} x`, nil, true},
		{"bad literal", `{"a":tru}`, nil, true},
		{"bad number", `{"a":01}`, nil, true},
		{"missing colon", `{"a" 1}`, nil, true},
		{"double comma", `{"a":1,,"b":2}`, nil, true},
		{"leading comma", `{,"a":1}`, nil, true},
		{"control char", "{\"a\":\"x\ny\"}", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := members(t, []byte(tt.in))
			if tt.bad {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("err = %v, want ErrSyntax", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("member %q = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestObjectValues(t *testing.T) {
	at := time.Date(2026, 3, 1, 23, 59, 58, 123456000, time.FixedZone("x", -5*3600))
	type payload struct {
		S  string    `json:"s"`
		E  string    `json:"e"`
		I  int64     `json:"i"`
		N  int64     `json:"n"`
		F  float64   `json:"f"`
		B  bool      `json:"b"`
		T  time.Time `json:"t"`
		TZ time.Time `json:"tz"`
	}
	in := payload{S: "in_1", E: "quote \" and é \u2028", I: 1234567890123456789, N: -42, F: 0.125, B: true, T: at, TZ: at.UTC()}
	data, _ := json.Marshal(in)
	var o Object
	o.Reset(data)
	var got payload
	for o.Next() {
		var err error
		switch string(o.Key()) {
		case "s":
			got.S, err = o.String()
		case "e":
			got.E, err = o.String()
		case "i":
			got.I, err = o.Int()
		case "n":
			got.N, err = o.Int()
		case "f":
			got.F, err = o.Float()
		case "b":
			got.B, err = o.Bool()
		case "t":
			got.T, err = o.Time()
		case "tz":
			got.TZ, err = o.Time()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	if got.S != in.S || got.E != in.E || got.I != in.I || got.N != in.N || got.F != in.F || got.B != in.B ||
		!got.T.Equal(in.T) || !got.TZ.Equal(in.TZ) {
		t.Fatalf("got %+v\nwant %+v", got, in)
	}
}

func TestObjectTypeErrorsNameTheField(t *testing.T) {
	var o Object
	o.Reset([]byte(`{"amount":"12"}`))
	o.Next()
	_, err := o.Int()
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`"amount"`)) {
		t.Fatalf("err = %v, want one naming amount", err)
	}
}

func TestParseRFC3339(t *testing.T) {
	for _, s := range []string{
		"2026-01-02T03:04:05Z", "2026-01-02T03:04:05.5Z", "2024-02-29T23:59:59.999999999+14:00",
		"2026-12-31T00:00:00-09:30",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseRFC3339UTC([]byte(s))
		if !ok || !got.Equal(want) {
			t.Fatalf("%s: got %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"2026-02-30T00:00:00Z", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05", "2026-01-02T03:04:05.Z"} {
		if _, ok := parseRFC3339UTC([]byte(s)); ok {
			t.Fatalf("%s: accepted", s)
		}
	}
}

// FuzzObject checks that valid objects yield exactly encoding/json's
// members and that nothing panics on arbitrary input.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,"x",null]},"c":"d\u00e9"}`, `{"a":1,"a":2}`, `{"t":"2026-01-02T03:04:05Z"}`, `[`, `{"a":-0.5e-3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := members(t, data)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if werr != nil || want == nil {
			return // invalid or not an object: only "no panic" is required
		}
		if err != nil {
			t.Fatalf("valid object refused: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("members %v, want %v", got, want)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != string(v) {
				t.Fatalf("member %q = %q, want %q", k, g, v)
			}
		}
		var o Object
		o.Reset(data)
		for o.Next() {
			if s, err := o.String(); err == nil {
				var ws string
				if json.Unmarshal(o.Raw(), &ws) != nil || ws != s {
					t.Fatalf("string %q = %q, want %q", o.Raw(), s, ws)
				}
			}
			if n, err := o.Int(); err == nil {
				var wn int64
				if json.Unmarshal(o.Raw(), &wn) != nil || wn != n {
					t.Fatalf("int %q = %d, want %d", o.Raw(), n, wn)
				}
			}
		}
	})
}

func BenchmarkObject(b *testing.B) {
	data := []byte(`{"occurred_at":"2026-01-02T03:04:05.123Z","invoice_id":"in_000123456","payment_method_id":"pm_000042","attempt_number":2,"amount":4900,"currency":"usd","outcome":"failed","decline_code":"insufficient_funds","network_decline_code":"51","network":"visa","funding":"debit","initiator":"retry","source":"smart","propensity":0.95}`)
	var o Object
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		o.Reset(data)
		for o.Next() {
			switch string(o.Key()) {
			case "occurred_at":
				_, _ = o.Time()
			case "amount", "attempt_number":
				_, _ = o.Int()
			case "invoice_id", "decline_code":
				_, _ = o.Str()
			}
		}
	}
}
