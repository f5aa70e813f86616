package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func smartPreset() map[string]any {
	return map[string]any{"name": "Smart 4 in 10", "smart_retries": true, "smart_max_retries": 4, "smart_window_days": 10,
		"during_recovery": "keep_active", "after_failure_subscription": "pause", "after_failure_invoice": "leave_overdue_days", "overdue_days": 30}
}

func decodePreset(t *testing.T, r *response) Preset {
	t.Helper()
	var p Preset
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPresetLifecycle(t *testing.T) {
	h := newHarness(t)
	r := h.post("/v1/dunning_presets", writeKey, smartPreset())
	wantStatus(t, r, 201)
	p := decodePreset(t, r)
	if !strings.HasPrefix(p.ID, "dp_") || !p.SmartRetries || p.SmartMaxRetries != 4 || p.Archived || p.IsDefault || false {
		t.Fatalf("created %+v", p)
	}
	got := decodePreset(t, h.get("/v1/dunning_presets/"+p.ID, readKey))
	if got.Name != "Smart 4 in 10" || got.OverdueDays != 30 {
		t.Fatalf("get %+v", got)
	}
	// Switching to a manual schedule takes one field.
	r = h.post("/v1/dunning_presets/"+p.ID, writeKey, map[string]any{"schedule": []int{2, 3, 5}, "name": "Manual"})
	wantStatus(t, r, 200)
	up := decodePreset(t, r)
	if up.SmartRetries || up.SmartMaxRetries != 0 || len(up.Schedule) != 3 || up.Name != "Manual" {
		t.Fatalf("updated %+v", up)
	}
	// Mark default; the default cannot be archived.
	r = h.post("/v1/dunning_presets/"+p.ID+"/mark_default", writeKey, nil)
	wantStatus(t, r, 200)
	if !decodePreset(t, r).IsDefault {
		t.Fatal("mark_default did not make it the default")
	}
	if b := decodePreset(t, h.get("/v1/dunning_presets/default", readKey)); b.IsDefault || b.Name != "Default" {
		t.Fatalf("built-in default %+v", b)
	}
	r = h.post("/v1/dunning_presets/"+p.ID+"/archive", writeKey, nil)
	wantStatus(t, r, 409)
	if pr := r.problem(t); pr.Code != "preset_is_default" {
		t.Fatalf("problem %+v", pr)
	}
	// A second preset takes over as default; the first can then be archived.
	r = h.post("/v1/dunning_presets", writeKey, map[string]any{"id": "dp_manual", "name": "Three", "schedule": []int{1, 2, 4},
		"during_recovery": "pause", "after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"})
	wantStatus(t, r, 201)
	wantStatus(t, h.post("/v1/dunning_presets/dp_manual/mark_default", writeKey, map[string]any{}), 200)
	r = h.post("/v1/dunning_presets/"+p.ID+"/archive", writeKey, nil)
	wantStatus(t, r, 200)
	if !decodePreset(t, r).Archived {
		t.Fatal("not archived")
	}
	r = h.post("/v1/dunning_presets/"+p.ID, writeKey, map[string]any{"name": "x"})
	wantStatus(t, r, 409)
	if pr := r.problem(t); pr.Code != "preset_archived" {
		t.Fatalf("problem %+v", pr)
	}
	wantStatus(t, h.post("/v1/dunning_presets", writeKey, map[string]any{"id": "dp_manual", "name": "Again", "schedule": []int{1},
		"during_recovery": "pause", "after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"}), 409)
	wantStatus(t, h.get("/v1/dunning_presets/dp_nope", readKey), 404)
	wantStatus(t, h.post("/v1/dunning_presets/dp_nope/archive", writeKey, nil), 404)
	wantStatus(t, h.post("/v1/dunning_presets/"+p.ID+"/archive", writeKey, `{"force":true}`), 400)
}

func TestPresetValidation(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"empty", map[string]any{}, []string{"name", "schedule", "during_recovery", "after_failure_subscription", "after_failure_invoice"}},
		{"too many retries", map[string]any{"name": "n", "schedule": []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, "during_recovery": "pause",
			"after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"}, []string{"schedule"}},
		{"smart and manual", map[string]any{"name": "n", "smart_retries": true, "smart_max_retries": 3, "smart_window_days": 7,
			"schedule": []int{1}, "during_recovery": "pause", "after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"}, []string{"schedule"}},
		{"overdue days", map[string]any{"name": "n", "schedule": []int{1}, "during_recovery": "pause",
			"after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue_days"}, []string{"overdue_days"}},
		{"bad gap and enum", map[string]any{"name": "n", "schedule": []int{0, 2}, "during_recovery": "sleep",
			"after_failure_subscription": "cancel", "after_failure_invoice": "leave_overdue"}, []string{"schedule[0]", "during_recovery"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.post("/v1/dunning_presets", writeKey, tt.body)
			wantStatus(t, r, 400)
			var got []string
			for _, e := range r.problem(t).Errors {
				got = append(got, e.Param)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("failing fields %v, want %v", got, tt.want)
			}
		})
	}
	wantStatus(t, h.post("/v1/dunning_presets", writeKey, `{"name":"n","schedule":"1,2"}`), 400)
	if n := countAll(t, h); n != 0 {
		t.Fatalf("refused presets wrote %d events", n)
	}
}

func TestPresetCreateIdempotent(t *testing.T) {
	h := newHarness(t)
	a := h.post("/v1/dunning_presets", writeKey, smartPreset(), "Idempotency-Key", "create-1")
	b := h.post("/v1/dunning_presets", writeKey, smartPreset(), "Idempotency-Key", "create-1")
	wantStatus(t, a, 201)
	wantStatus(t, b, 201)
	if b.header.Get("Idempotent-Replayed") != "true" || string(a.body) != string(b.body) {
		t.Fatalf("replay %s vs %s", b.body, a.body)
	}
	if n := countAll(t, h); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
}

func TestProductPresetAssignment(t *testing.T) {
	h := newHarness(t)
	r := h.post("/v1/products", writeKey, map[string]any{"id": "prod_pro", "name": "Pro"})
	wantStatus(t, r, 201)
	var p Product
	_ = json.Unmarshal(r.body, &p)
	if p.DunningPreset != nil || p.EffectivePresetID != "default" {
		t.Fatalf("new product %+v", p)
	}
	wantStatus(t, h.post("/v1/dunning_presets", writeKey, map[string]any{"id": "dp_smart", "name": "Smart", "smart_retries": true,
		"smart_max_retries": 4, "smart_window_days": 10, "during_recovery": "pause", "after_failure_subscription": "cancel",
		"after_failure_invoice": "write_off"}), 201)
	r = h.post("/v1/products/prod_pro/dunning_preset", writeKey, map[string]any{"preset_id": "dp_smart"})
	wantStatus(t, r, 200)
	_ = json.Unmarshal(r.body, &p)
	if p.DunningPreset == nil || *p.DunningPreset != "dp_smart" || p.EffectivePresetID != "dp_smart" {
		t.Fatalf("assigned %+v", p)
	}
	// Archived presets cannot be assigned, but the product keeps its own.
	wantStatus(t, h.post("/v1/dunning_presets/dp_smart/archive", writeKey, nil), 200)
	wantStatus(t, h.post("/v1/products", writeKey, map[string]any{"id": "prod_basic", "name": "Basic"}), 201)
	r = h.post("/v1/products/prod_basic/dunning_preset", writeKey, map[string]any{"preset_id": "dp_smart"})
	wantStatus(t, r, 409)
	if pr := r.problem(t); pr.Code != "preset_archived" || pr.Param != "preset_id" {
		t.Fatalf("problem %+v", pr)
	}
	r = h.get("/v1/products/prod_pro", readKey)
	_ = json.Unmarshal(r.body, &p)
	if p.EffectivePresetID != "dp_smart" {
		t.Fatalf("archived preset must keep working for prod_pro: %+v", p)
	}
	r = h.post("/v1/products/prod_pro/dunning_preset", writeKey, map[string]any{"preset_id": nil})
	wantStatus(t, r, 200)
	_ = json.Unmarshal(r.body, &p)
	if p.DunningPreset != nil || p.EffectivePresetID != "default" {
		t.Fatalf("back to default %+v", p)
	}
	wantStatus(t, h.post("/v1/products/prod_none/dunning_preset", writeKey, map[string]any{"preset_id": nil}), 404)
	wantStatus(t, h.post("/v1/products/prod_pro/dunning_preset", writeKey, map[string]any{"preset_id": "dp_none"}), 404)
	wantStatus(t, h.post("/v1/products", writeKey, map[string]any{}), 400)
	wantStatus(t, h.get("/v1/products/prod_none", readKey), 404)
}

func TestCollectionSettings(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.get("/v1/collection_settings", writeKey), 403)
	r := h.get("/v1/collection_settings", adminKey)
	wantStatus(t, r, 200)
	var cs CollectionSettings
	_ = json.Unmarshal(r.body, &cs)
	if !cs.FailedPaymentEmails || cs.DefaultPreset != "default" || cs.Version != 0 {
		t.Fatalf("defaults %+v", cs)
	}
	r = h.post("/v1/collection_settings", adminKey, map[string]any{"uncollectible_after_days": 60, "remind_before_due_days": []int{7, 1}, "auto_reconcile_threshold": 50})
	wantStatus(t, r, 200)
	_ = json.Unmarshal(r.body, &cs)
	if cs.UncollectibleAfterDays != 60 || len(cs.RemindBeforeDueDays) != 2 || !cs.FailedPaymentEmails || cs.Version != 1 {
		t.Fatalf("updated %+v", cs)
	}
	r = h.post("/v1/collection_settings", adminKey, map[string]any{"uncollectible_after_days": 45, "remind_after_due_days": []int{3, 3}, "auto_reconcile_threshold": -1})
	wantStatus(t, r, 400)
	var got []string
	for _, e := range r.problem(t).Errors {
		got = append(got, e.Param)
	}
	if strings.Join(got, ",") != "uncollectible_after_days,auto_reconcile_threshold,remind_after_due_days[1]" {
		t.Fatalf("failing fields %v", got)
	}
	wantStatus(t, h.post("/v1/collection_settings", writeKey, map[string]any{"remind_on_due": true}), 403)
}
