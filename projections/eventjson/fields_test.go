package eventjson

import (
	"bytes"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

func TestFieldsDecodeDomainEvents(t *testing.T) {
	at := time.Date(2026, 1, 5, 10, 30, 0, 0, time.UTC)
	due := at.Add(72 * time.Hour)
	tests := []struct {
		name  string
		event domain.Event
		check func(t *testing.T, f *Fields)
	}{
		{"attempt", domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, InvoiceID: "in_1", PaymentMethodID: "pm_1", AttemptNumber: 2, Amount: 4900,
			Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51", AdviceCode: "24",
			Network: domain.Mastercard, Funding: domain.Debit, Initiator: domain.InitiatorRetry, Source: domain.SourceSmart, Propensity: 0.9, ChargeID: "ch_1"},
			func(t *testing.T, f *Fields) {
				if string(f.InvoiceID) != "in_1" || f.AttemptNumber != 2 || f.Amount != 4900 || string(f.DeclineCode) != "insufficient_funds" ||
					string(f.AdviceCode) != "24" || string(f.Source) != "smart" || f.Propensity != 0.9 || !f.OccurredAt.Equal(at) ||
					string(f.Network) != "mastercard" || string(f.Funding) != "debit" || string(f.ChargeID) != "ch_1" {
					t.Fatalf("%+v", f)
				}
			}},
		{"finalized", domain.InvoiceFinalized{Base: domain.Base{OccurredAt: at, Backfill: true}, InvoiceID: "in_2", CustomerID: "cus_1", Amount: 100,
			DueDate: &due, CollectionMethod: domain.SendInvoice, AutoAdvance: true},
			func(t *testing.T, f *Fields) {
				if !f.Backfill || !f.DueDate.Equal(due) || string(f.CollectionMethod) != "send_invoice" || !f.AutoAdvance || string(f.CustomerID) != "cus_1" {
					t.Fatalf("%+v", f)
				}
			}},
		{"dunning", domain.DunningStarted{Base: domain.Base{OccurredAt: at}, InvoiceID: "in_3", PresetID: "pre_1", Preset: domain.DefaultPresetSpec()},
			func(t *testing.T, f *Fields) {
				if string(f.PresetID) != "pre_1" || !bytes.Contains(f.Preset, []byte(`"schedule":[1,2,4]`)) {
					t.Fatalf("%+v %s", f, f.Preset)
				}
			}},
	}
	var f Fields
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, data, err := domain.Encode(tt.event)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Decode(data); err != nil {
				t.Fatal(err)
			}
			tt.check(t, &f)
		})
	}
}

func TestFieldsRefuseWrongTypes(t *testing.T) {
	var f Fields
	for _, in := range []string{`{"amount":"1"}`, `{"occurred_at":"yesterday"}`, `{"invoice_id":1}`, `{"amount":1`} {
		if err := f.Decode([]byte(in)); err == nil {
			t.Fatalf("%s: accepted", in)
		}
	}
}

func FuzzFields(f *testing.F) {
	f.Add([]byte(`{"invoice_id":"in_1","amount":5,"occurred_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"preset":{"name":"x"},"due_date":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fl Fields
		_ = fl.Decode(data) // must not panic
	})
}

func BenchmarkFields(b *testing.B) {
	_, data, _ := domain.Encode(domain.PaymentAttempted{Base: domain.Base{OccurredAt: time.Now()}, InvoiceID: "in_000123456", PaymentMethodID: "pm_000042",
		AttemptNumber: 2, Amount: 4900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51",
		Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorRetry, Source: domain.SourceSmart, Propensity: 0.95})
	var f Fields
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
