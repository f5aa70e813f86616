package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// ledgerCommands are one valid body per command.
var ledgerCommands = map[string]map[string]any{
	"customer_registered": {"customer_id": "cus_1", "country": "US", "time_zone": "America/New_York", "email": "a@example.com"},
	"payment_method_attached": {"payment_method_id": "pm_1", "customer_id": "cus_1", "network": "visa", "funding": "debit",
		"country": "US", "exp_month": 4, "exp_year": 2029, "last4": "4242", "default": true},
	"invoice_finalized": {"invoice_id": "in_1", "customer_id": "cus_1", "payment_method_id": "pm_1", "amount": 2500,
		"currency": "usd", "subscription_id": "sub_1", "product_id": "prod_1", "billing_reason": "subscription_cycle"},
	"payment_attempted": {"invoice_id": "in_1", "payment_method_id": "pm_1", "attempt_number": 1, "amount": 2500,
		"currency": "usd", "outcome": "failed", "decline_code": "insufficient_funds", "network": "visa", "funding": "debit"},
	"payment_method_updated": {"payment_method_id": "pm_1", "customer_id": "cus_1", "source": "account_updater",
		"exp_month": 5, "exp_year": 2031, "new_number": true},
	"card_activity": {"payment_method_id": "pm_1", "device_id": "dev_7"},
}

var ledgerOrder = []string{"customer_registered", "payment_method_attached", "invoice_finalized", "payment_attempted", "payment_method_updated", "card_activity"}

func TestLedgerCommands(t *testing.T) {
	h := newHarness(t)
	wantTypes := map[string]string{
		"customer_registered": domain.TypeCustomerRegistered, "payment_method_attached": domain.TypePaymentMethodAttached,
		"invoice_finalized": domain.TypeInvoiceFinalized, "payment_attempted": domain.TypePaymentAttempted,
		"payment_method_updated": domain.TypePaymentMethodUpdated, "card_activity": domain.TypeCardActivityObserved,
	}
	for _, kind := range ledgerOrder {
		t.Run(kind, func(t *testing.T) {
			r := h.post("/v1/ledger/"+kind, writeKey, ledgerCommands[kind])
			wantStatus(t, r, 200)
			var rc Receipt
			if err := json.Unmarshal(r.body, &rc); err != nil {
				t.Fatal(err)
			}
			if rc.Command != kind || len(rc.Events) != 1 || rc.Events[0].Type != wantTypes[kind] {
				t.Fatalf("receipt = %+v", rc)
			}
			recs, err := h.store.ReadStream(t.Context(), rc.Stream, eventstore.ReadStreamOptions{})
			if err != nil {
				t.Fatal(err)
			}
			last := recs[len(recs)-1]
			if "evt_"+last.ID.String() != rc.Events[0].ID || last.Type != wantTypes[kind] {
				t.Fatalf("stored %s %s, receipt %+v", last.Type, last.ID, rc.Events[0])
			}
			if _, err := domain.Decode(last.Type, last.Data); err != nil {
				t.Fatalf("stored event does not decode: %v", err)
			}
		})
	}
}

// TestLedgerResendAppendsNothing: commands with a natural identity dedupe
// even without an Idempotency-Key and even under a new one.
func TestLedgerResendAppendsNothing(t *testing.T) {
	h := newHarness(t)
	for _, kind := range []string{"customer_registered", "payment_method_attached", "invoice_finalized", "payment_attempted"} {
		a := h.post("/v1/ledger/"+kind, writeKey, ledgerCommands[kind])
		b := h.post("/v1/ledger/"+kind, writeKey, ledgerCommands[kind], "Idempotency-Key", "fresh-"+kind)
		wantStatus(t, a, 200)
		wantStatus(t, b, 200)
		var ra, rb Receipt
		_ = json.Unmarshal(a.body, &ra)
		_ = json.Unmarshal(b.body, &rb)
		if ra.Events[0].ID != rb.Events[0].ID || ra.Revision != rb.Revision {
			t.Fatalf("%s: resend gave %+v, first %+v", kind, rb, ra)
		}
	}
	if n := countAll(t, h); n != 4 {
		t.Fatalf("events = %d, want 4", n)
	}
}

func TestLedgerBackfill(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{}
	for k, v := range ledgerCommands["payment_attempted"] {
		body[k] = v
	}
	body["occurred_at"] = "2025-06-01T10:00:00Z"
	body["backfill"] = true
	fin := map[string]any{"occurred_at": "2025-06-01T09:00:00Z", "backfill": true}
	for k, v := range ledgerCommands["invoice_finalized"] {
		fin[k] = v
	}
	wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, fin), 200)
	r := h.post("/v1/ledger/payment_attempted", writeKey, body)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `"backfill":true`) {
		t.Fatalf("receipt %s", r.body)
	}
	ev := h.get("/v1/invoices/in_1/events", readKey)
	wantStatus(t, ev, 200)
	var list List[Event]
	if err := json.Unmarshal(ev.body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 2 || !list.Data[1].Backfill || list.Data[1].Type != domain.TypePaymentAttempted || list.Data[1].OccurredAt.Format("2006-01-02") != "2025-06-01" {
		t.Fatalf("events = %+v", list.Data)
	}
}

func TestLedgerValidation(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		kind  string
		patch map[string]any
		param string
		code  string
	}{
		{"customer_registered", map[string]any{"time_zone": "Mars/Olympus"}, "time_zone", CodeInvalidValue},
		{"customer_registered", map[string]any{"country": "usa"}, "country", CodeInvalidValue},
		{"invoice_finalized", map[string]any{"amount": 0}, "amount", CodeOutOfRange},
		{"invoice_finalized", map[string]any{"payment_method_id": nil}, "payment_method_id", CodeRequired},
		{"invoice_finalized", map[string]any{"collection_method": "send_invoice"}, "due_date", CodeRequired},
		{"invoice_finalized", map[string]any{"invoice_id": "in 1"}, "invoice_id", CodeInvalidValue},
		{"payment_attempted", map[string]any{"decline_code": nil}, "decline_code", CodeRequired},
		{"payment_attempted", map[string]any{"decline_code": "insufficent_funds"}, "decline_code", "unknown_decline_code"},
		{"payment_attempted", map[string]any{"outcome": "maybe"}, "outcome", CodeInvalidValue},
		{"payment_attempted", map[string]any{"outcome": "succeeded"}, "decline_code", CodeInvalidValue},
		{"payment_method_attached", map[string]any{"exp_month": 13}, "exp_month", CodeOutOfRange},
		{"payment_method_attached", map[string]any{"funding": "cash"}, "funding", CodeInvalidValue},
		{"payment_method_updated", map[string]any{"source": "bank"}, "source", CodeInvalidValue},
		{"payment_method_updated", map[string]any{"last4": "42"}, "last4", CodeInvalidValue},
		{"card_activity", map[string]any{"device_id": ""}, "device_id", CodeRequired},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.kind, tt.param), func(t *testing.T) {
			body := map[string]any{}
			for k, v := range ledgerCommands[tt.kind] {
				body[k] = v
			}
			for k, v := range tt.patch {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			r := h.post("/v1/ledger/"+tt.kind, writeKey, body)
			wantStatus(t, r, 400)
			p := r.problem(t)
			found := false
			for _, e := range p.Errors {
				found = found || (e.Param == tt.param && e.Code == tt.code)
			}
			if !found {
				t.Fatalf("errors %+v lack %s/%s", p.Errors, tt.param, tt.code)
			}
		})
	}
	if n := countAll(t, h); n != 0 {
		t.Fatalf("refused commands wrote %d events", n)
	}
}

func TestStreamEventsPagination(t *testing.T) {
	h := newHarness(t)
	wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, ledgerCommands["invoice_finalized"]), 200)
	for i := 1; i <= 4; i++ {
		body := map[string]any{}
		for k, v := range ledgerCommands["payment_attempted"] {
			body[k] = v
		}
		body["attempt_number"] = i
		wantStatus(t, h.post("/v1/ledger/payment_attempted", writeKey, body), 200)
	}
	page := func(q string) List[Event] {
		r := h.get("/v1/invoices/in_1/events"+q, readKey)
		wantStatus(t, r, 200)
		var l List[Event]
		if err := json.Unmarshal(r.body, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	p1 := page("?limit=2")
	if len(p1.Data) != 2 || !p1.HasMore || p1.Data[0].Type != domain.TypeInvoiceFinalized || p1.Data[1].Revision != 1 {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2 := page("?limit=2&starting_after=" + p1.Data[1].ID)
	if len(p2.Data) != 2 || !p2.HasMore || p2.Data[0].Revision != 2 {
		t.Fatalf("page 2 = %+v", p2)
	}
	p3 := page("?limit=2&starting_after=" + p2.Data[1].ID)
	if len(p3.Data) != 1 || p3.HasMore {
		t.Fatalf("page 3 = %+v", p3)
	}
	back := page("?limit=10&ending_before=" + p3.Data[0].ID)
	if len(back.Data) != 4 || back.HasMore {
		t.Fatalf("ending_before = %+v", back)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?starting_after=evt_nope", "?colour=red", "?starting_after=a&ending_before=b"} {
		r := h.get("/v1/invoices/in_1/events"+q, readKey)
		wantStatus(t, r, 400)
	}
	wantStatus(t, h.get("/v1/subscriptions/sub_none/events", readKey), 404)
}

func TestImport(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	for _, kind := range ledgerOrder {
		data := map[string]any{}
		for k, v := range ledgerCommands[kind] {
			data[k] = v
		}
		data["occurred_at"] = "2025-05-01T00:00:00Z"
		data["backfill"] = true
		line, _ := json.Marshal(map[string]any{"type": kind, "data": data})
		b.Write(line)
		b.WriteByte('\n')
	}
	good := b.String()
	bad := good + `{"type":"payment_attempted","data":{"invoice_id":"in_1","amount":"ten"}}` + "\n" + `{"type":"refund"}` + "\n"
	r := h.post("/v1/ledger/import", writeKey, bad)
	wantStatus(t, r, 400)
	p := r.problem(t)
	if len(p.Errors) != 2 || p.Errors[0].Param != "lines[7].data.amount" || p.Errors[1].Param != "lines[8].data" && p.Errors[1].Param != "lines[8].type" {
		t.Fatalf("errors = %+v", p.Errors)
	}
	if n := countAll(t, h); n != 0 {
		t.Fatalf("a refused import wrote %d events", n)
	}
	r = h.post("/v1/ledger/import", writeKey, good, "Content-Type", "application/x-ndjson")
	wantStatus(t, r, 200)
	var res ImportResult
	_ = json.Unmarshal(r.body, &res)
	if res.Lines != 6 || res.Events != 6 || res.Backfill != 6 {
		t.Fatalf("result = %+v", res)
	}
	r = h.post("/v1/ledger/import", writeKey, good, "Content-Type", "application/x-ndjson")
	wantStatus(t, r, 200)
	if n := countAll(t, h); n != 6 {
		t.Fatalf("re-import: events = %d, want 6", n)
	}
}

// TestLedgerAggregateRules: invoice commands are decided by the invoice
// aggregate, whose refusals come back as problems and write nothing.
func TestLedgerAggregateRules(t *testing.T) {
	h := newHarness(t)
	attempt := func(patch map[string]any) map[string]any {
		b := map[string]any{}
		for k, v := range ledgerCommands["payment_attempted"] {
			b[k] = v
		}
		for k, v := range patch {
			b[k] = v
		}
		return b
	}
	r := h.post("/v1/ledger/payment_attempted", writeKey, attempt(nil))
	wantStatus(t, r, 404)
	if p := r.problem(t); p.Param != "invoice_id" {
		t.Fatalf("problem %+v", p)
	}
	wantStatus(t, h.post("/v1/ledger/invoice_finalized", writeKey, ledgerCommands["invoice_finalized"]), 200)
	other := map[string]any{}
	for k, v := range ledgerCommands["invoice_finalized"] {
		other[k] = v
	}
	other["amount"] = 9999
	r = h.post("/v1/ledger/invoice_finalized", writeKey, other)
	wantStatus(t, r, 409)
	if p := r.problem(t); p.Code != "command_conflict" {
		t.Fatalf("problem %+v", p)
	}
	r = h.post("/v1/ledger/payment_attempted", writeKey, attempt(map[string]any{"attempt_number": 3, "amount": 99999, "currency": "eur"}))
	wantStatus(t, r, 400)
	var got []string
	for _, e := range r.problem(t).Errors {
		got = append(got, e.Param)
	}
	if strings.Join(got, ",") != "attempt_number,amount,currency" {
		t.Fatalf("errors on %v", got)
	}
	// A success for the whole amount pays the invoice.
	r = h.post("/v1/ledger/payment_attempted", writeKey, attempt(map[string]any{"outcome": "succeeded", "decline_code": ""}))
	wantStatus(t, r, 200)
	var rc Receipt
	_ = json.Unmarshal(r.body, &rc)
	var types []string
	for _, e := range rc.Events {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != "PaymentAttempted,PaymentSucceeded,InvoicePaid" {
		t.Fatalf("events %v", types)
	}
	// Sent again: the same receipt, nothing appended.
	again := h.post("/v1/ledger/payment_attempted", writeKey, attempt(map[string]any{"outcome": "succeeded", "decline_code": ""}))
	wantStatus(t, again, 200)
	if string(again.body) != string(r.body) {
		t.Fatalf("resend receipt %s, first %s", again.body, r.body)
	}
	if n := countAll(t, h); n != 4 {
		t.Fatalf("events = %d, want 4", n)
	}
	// A paid invoice takes no more attempts.
	r = h.post("/v1/ledger/payment_attempted", writeKey, attempt(map[string]any{"attempt_number": 2}))
	wantStatus(t, r, 409)
	if p := r.problem(t); p.Code != "invalid_state_transition" || p.Param != "status" {
		t.Fatalf("problem %+v", p)
	}
	// A paid invoice takes no more attempts.
	r = h.post("/v1/ledger/payment_attempted", writeKey, attempt(map[string]any{"attempt_number": 2}))
	wantStatus(t, r, 409)
	if p := r.problem(t); p.Code != "invalid_state_transition" || p.Param != "status" {
		t.Fatalf("problem %+v", p)
	}
}
