package simulator

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/datasets"
)

func defaultWorld(t testing.TB, name string) *Model {
	t.Helper()
	raw, err := datasets.World(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := DecodeWorld(name, raw)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mutate decodes the default B2C world into a generic tree, applies f and
// re-encodes it.
func mutate(t *testing.T, f func(w map[string]any)) []byte {
	t.Helper()
	raw, _ := datasets.World("b2c_us")
	var w map[string]any
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	f(w)
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(w map[string]any, path ...string) map[string]any {
	for _, p := range path {
		w = w[p].(map[string]any)
	}
	return w
}

func TestDefaultWorldsDecode(t *testing.T) {
	for _, name := range datasets.WorldNames() {
		defaultWorld(t, name)
	}
	if len(datasets.WorldNames()) < 2 {
		t.Fatalf("want at least two default worlds, have %v", datasets.WorldNames())
	}
}

func TestWorldRefusals(t *testing.T) {
	type want struct{ path, reason string }
	tests := []struct {
		name  string
		doc   func(t *testing.T) []byte
		wants []want
	}{
		{"not json", func(*testing.T) []byte { return []byte(`{"schema":`) }, []want{{"$", "not valid JSON"}}},
		{"trailing data", func(*testing.T) []byte { return []byte(`{} {}`) }, []want{{"$", "trailing data"}}},
		{"unknown field", func(t *testing.T) []byte {
			return mutate(t, func(w map[string]any) { obj(w, "causes", "hold")["half_life"] = 3 })
		}, []want{{"$.causes.hold.half_life", "unknown field"}}},
		{"wrong types at once", func(t *testing.T) []byte {
			return mutate(t, func(w map[string]any) {
				w["span_days"] = "a year"
				w["countries"].([]any)[1].(map[string]any)["share"] = true
				obj(w, "activity")["live_per_day"] = nil
			})
		}, []want{{"$.span_days", "must be an integer"}, {"$.countries[1].share", "must be a number"}, {"$.activity.live_per_day", "must not be null"}}},
		{"fractional integer", func(t *testing.T) []byte {
			return mutate(t, func(w map[string]any) { obj(w, "causes", "hold")["grid_hours"] = 6.5 })
		}, []want{{"$.causes.hold.grid_hours", "must be an integer"}}},
		{"schema version", func(t *testing.T) []byte { return mutate(t, func(w map[string]any) { w["schema"] = 2 }) },
			[]want{{"$.schema", "not supported"}}},
		{"shares and probabilities", func(t *testing.T) []byte {
			return mutate(t, func(w map[string]any) {
				obj(w, "funding")["credit"] = 0.9
				obj(w, "decline_mix", "debit")["generic"] = -0.1
				obj(w, "causes", "funds")["alive"] = 1.5
			})
		}, []want{{"$.funding", "must sum to 1"}, {"$.decline_mix.debit.generic", "probability"}, {"$.causes.funds.alive", "probability"}}},
		{"unknown names", func(t *testing.T) []byte {
			return mutate(t, func(w map[string]any) {
				obj(w, "codes", "generic")["do_not_pay"] = 0.0
				obj(w, "networks")["diners"] = 0.0
				c := w["countries"].([]any)[0].(map[string]any)
				c["time_zone"] = "Mars/Olympus"
				c["paydays"].([]any)[0].(map[string]any)["schedule"] = "fortnightly_tuesday"
				delete(obj(w, "cause_given_reason"), "other")
			})
		}, []want{
			{"$.codes.generic.do_not_pay", "unknown decline code"},
			{"$.networks.diners", "unknown key"},
			{"$.countries[0].time_zone", "unknown IANA time zone"},
			{"$.countries[0].paydays[0].schedule", "unknown schedule"},
			{"$.cause_given_reason.other", "is required"},
		}},
		{"ranges and rules", func(t *testing.T) []byte {
			return mutate(t, func(w map[string]any) {
				w["start"] = "2026-13-01"
				obj(w, "causes", "hold")["grid_hours"] = 5
				obj(w, "activity")["idle_per_day"] = 9
				w["frailty"] = []any{map[string]any{"value": 2, "share": 1}}
				w["plans"].([]any)[0].(map[string]any)["interval"] = "week"
			})
		}, []want{
			{"$.start", "YYYY-MM-DD"},
			{"$.causes.hold.grid_hours", "must divide 24"},
			{"$.activity.idle_per_day", "below live_per_day"},
			{"$.frailty", "mean value must be 1"},
			{"$.plans[0].interval", "month or year"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWorld("test.json", tt.doc(t))
			var we *WorldError
			if !errors.As(err, &we) {
				t.Fatalf("want a *WorldError, got %v", err)
			}
			for _, w := range tt.wants {
				found := false
				for _, p := range we.Problems {
					if p.Path == w.path && strings.Contains(p.Reason, w.reason) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing problem %s: …%s…; got:\n%v", w.path, w.reason, err)
				}
			}
		})
	}
}

func FuzzDecodeWorld(f *testing.F) {
	for _, name := range datasets.WorldNames() {
		raw, _ := datasets.World(name)
		f.Add(raw)
	}
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"countries":[{"code":"US","share":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := DecodeWorld("fuzz", data)
		if err != nil {
			var we *WorldError
			if !errors.As(err, &we) || len(we.Problems) == 0 {
				t.Fatalf("refusal without problems: %v", err)
			}
			for _, p := range we.Problems {
				if !strings.HasPrefix(p.Path, "$") || p.Reason == "" {
					t.Fatalf("problem without path or reason: %+v", p)
				}
			}
			return
		}
		// An accepted world compiles and draws.
		m, err := Compile(w)
		if err != nil {
			t.Fatalf("accepted world does not compile: %v", err)
		}
		(&Population{M: m, Seed: 1, Pop: 1}).Case(0)
	})
}
