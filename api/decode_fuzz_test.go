package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// FuzzDecodeCommand feeds arbitrary bodies to every command decoder: each
// either refuses with a problem naming a status in 4xx, or accepts a body
// whose events encode and decode through the domain codec.
func FuzzDecodeCommand(f *testing.F) {
	for _, kind := range ledgerOrder {
		b, _ := json.Marshal(ledgerCommands[kind])
		f.Add(kind, b)
	}
	f.Add("card_activity", []byte(`{"payment_method_id":"pm","device_id":"d"} x`))
	f.Add("invoice_finalized", []byte(`{"amount":1e400}`))
	f.Add("payment_attempted", []byte(`{"attempt_number":"1"}`))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, kind string, body []byte) {
		mk, ok := commandKinds[kind]
		if !ok {
			return
		}
		cmd := mk()
		cmd.setNow(now)
		if err := decodeBytes(body, cmd); err != nil {
			p := asProblem(err)
			if p.Status < 400 || p.Status > 499 || p.Code == "" {
				t.Fatalf("refusal %+v is not a 4xx problem with a code", p)
			}
			return
		}
		for _, e := range cmd.toEvents() {
			typ, data, err := domain.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := domain.Decode(typ, data); err != nil {
				t.Fatalf("accepted command made an undecodable event: %v", err)
			}
			if e.When().After(now.Add(clockSkew)) {
				t.Fatalf("accepted a future occurred_at %s", e.When())
			}
		}
	})
}

// FuzzParseImport feeds arbitrary NDJSON to the importer's parser.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte(`{"type":"card_activity","data":{"payment_method_id":"pm","device_id":"d"}}` + "\n"))
	f.Add([]byte("\n\n{\"type\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		lines, err := parseImport(bytes.NewReader(body), time.Now())
		if err != nil {
			if p := asProblem(err); p.Status != 400 && p.Status != 413 {
				t.Fatalf("refusal %+v", p)
			}
			return
		}
		for _, l := range lines {
			if len(l.cmd.toEvents()) == 0 {
				t.Fatal("a parsed line makes no event")
			}
		}
	})
}

// FuzzDecodeRequests feeds arbitrary bodies to the other request
// decoders (recommendations, presets, settings, backtests, SQL): each
// accepts or refuses with a 4xx problem, never panics.
func FuzzDecodeRequests(f *testing.F) {
	rec, _ := json.Marshal(inlineBody())
	pre, _ := json.Marshal(smartPreset())
	f.Add(0, rec)
	f.Add(0, []byte(`{"invoice_id":"in_1","candidates":["x"]}`))
	f.Add(1, pre)
	f.Add(2, []byte(`{"uncollectible_after_days":30,"remind_before_due_days":[3,1]}`))
	f.Add(3, []byte(`{"candidate_preset_id":"default","bootstrap":100}`))
	f.Add(4, []byte(`{"sql":"SELECT 1"}`))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, kind int, body []byte) {
		var dst any
		switch kind {
		case 0:
			dst = &recommendRequest{now: now}
		case 1:
			dst = &presetFields{}
		case 2:
			dst = &settingsFields{}
		case 3:
			dst = &backtestRequest{}
		case 4:
			dst = &sqlRequest{}
		default:
			return
		}
		if err := decodeBytes(body, dst); err != nil {
			if p := asProblem(err); p.Status < 400 || p.Status > 499 || p.Code == "" {
				t.Fatalf("refusal %+v is not a 4xx problem with a code", p)
			}
			return
		}
		if r, ok := dst.(*recommendRequest); ok && r.Context != nil {
			rc := r.Context.retryContext(now)
			budget(&rc, nil, r.MaxRetries, r.WindowDays)
			if rc.RetriesLeft < 0 || len(rc.Attempts) == 0 {
				t.Fatalf("accepted context made %+v", rc)
			}
		}
	})
}
