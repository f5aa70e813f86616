package api

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// withReadModels wires the real read models and a runner the test drives.
func withReadModels(t *testing.T, runner **projections.Runner) harnessOption {
	return func(c *Config) {
		db, err := readmodel.Open(filepath.Join(t.TempDir(), "readmodel"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		r, err := projections.NewRunner(c.Store, projections.Options{}, readmodel.Projections(db)...)
		if err != nil {
			t.Fatal(err)
		}
		*runner = r
		c.ReadModels = db
	}
}

func postAll(t *testing.T, h *harness, kinds ...string) {
	t.Helper()
	for _, k := range kinds {
		wantStatus(t, h.post("/v1/ledger/"+k, writeKey, ledgerCommands[k]), 200)
	}
}

func TestInvoicesAndSubscriptions(t *testing.T) {
	var runner *projections.Runner
	h := newHarness(t, withReadModels(t, &runner))
	postAll(t, h, "customer_registered", "payment_method_attached", "invoice_finalized", "payment_attempted")
	second := map[string]any{}
	for k, v := range ledgerCommands["invoice_finalized"] {
		second[k] = v
	}
	second["invoice_id"], second["customer_id"] = "in_2", "cus_2"
	wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, second), 200)
	if err := runner.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := h.get("/v1/invoices/in_1", readKey)
	wantStatus(t, r, 200)
	var inv Invoice
	_ = json.Unmarshal(r.body, &inv)
	if inv.Object != "invoice" || inv.Status != "open" || inv.AttemptCount != 1 || inv.AmountRemaining != 2500 || inv.LastDeclineCode != "insufficient_funds" {
		t.Fatalf("invoice %+v", inv)
	}
	list := func(q string) List[Invoice] {
		r := h.get("/v1/invoices"+q, readKey)
		wantStatus(t, r, 200)
		var l List[Invoice]
		_ = json.Unmarshal(r.body, &l)
		return l
	}
	if l := list(""); len(l.Data) != 2 || l.Data[0].ID != "in_2" || l.HasMore {
		t.Fatalf("newest first: %+v", l)
	}
	if l := list("?customer=cus_1"); len(l.Data) != 1 || l.Data[0].ID != "in_1" {
		t.Fatalf("customer filter: %+v", l)
	}
	p1 := list("?limit=1")
	if len(p1.Data) != 1 || !p1.HasMore {
		t.Fatalf("page 1 %+v", p1)
	}
	if p2 := list("?limit=1&starting_after=" + p1.Data[0].ID); len(p2.Data) != 1 || p2.Data[0].ID != "in_1" || p2.HasMore {
		t.Fatalf("page 2 %+v", p2)
	}
	if l := list("?status=paid"); len(l.Data) != 0 {
		t.Fatalf("status filter %+v", l)
	}
	for _, q := range []string{"?status=late", "?limit=500", "?next_payment_attempt_before=tomorrow", "?sort=asc"} {
		wantStatus(t, h.get("/v1/invoices"+q, readKey), 400)
	}
	wantStatus(t, h.get("/v1/invoices/in_missing", readKey), 404)
	wantStatus(t, h.get("/v1/subscriptions/sub_missing", readKey), 404)
	r = h.get("/v1/subscriptions?status=active", readKey)
	wantStatus(t, r, 200)
	wantStatus(t, h.get("/v1/subscriptions?status=sleeping", readKey), 400)
}

func TestPresetList(t *testing.T) {
	var runner *projections.Runner
	h := newHarness(t, withReadModels(t, &runner))
	for _, id := range []string{"dp_a", "dp_b", "dp_c"} {
		body := smartPreset()
		body["id"] = id
		wantStatus(t, h.post("/v1/dunning_presets", writeKey, body), 201)
	}
	wantStatus(t, h.post("/v1/dunning_presets/dp_b/mark_default", writeKey, nil), 200)
	if err := runner.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := h.get("/v1/dunning_presets?limit=2", readKey)
	wantStatus(t, r, 200)
	var l List[Preset]
	_ = json.Unmarshal(r.body, &l)
	if len(l.Data) != 2 || !l.HasMore || l.Data[0].ID != "dp_c" || !l.Data[1].IsDefault || l.Data[0].Name != "Smart 4 in 10" {
		t.Fatalf("presets %+v", l)
	}
}

func TestReadsNotConfigured(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.get("/v1/invoices", readKey), 501)
	wantStatus(t, h.get("/v1/subscriptions/sub_1", readKey), 501)
}
