package readmodel

import (
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

func TestRecordRoundTrip(t *testing.T) {
	npa := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	spec := domain.DefaultPresetSpec()
	in := Invoice{ID: "in_1", Customer: "cus_1", Status: domain.InvoiceOpen, AmountDue: 10, AmountRemaining: 10, AttemptCount: 2,
		NextPaymentAttempt: &npa, Created: npa, Dunning: Dunning{State: DunningActive, PresetID: "default", Preset: &spec, StartedAt: &npa}, seq: 7, applied: 9}
	var e enc
	e.reset()
	in.encode(&e)
	var out Invoice
	d := newDec(e.b)
	out.decode(d)
	if err := d.done(); err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || out.seq != 7 || out.applied != 9 || !out.NextPaymentAttempt.Equal(npa) || out.Dunning.Preset.Name != "Default" ||
		len(out.Dunning.Preset.Schedule) != 3 || out.AttemptCount != 2 {
		t.Fatalf("round trip: %+v", out)
	}
	if d := newDec(e.b[:len(e.b)-1]); func() error { var r Invoice; r.decode(d); return d.done() }() == nil {
		t.Fatal("a truncated record decoded")
	}
}

// FuzzRecordDecode feeds arbitrary bytes to every record decoder: they
// must fail cleanly, never panic or allocate without bound.
func FuzzRecordDecode(f *testing.F) {
	var e enc
	e.reset()
	(&Invoice{ID: "in_1", Dunning: Dunning{Preset: &domain.PresetSpec{Schedule: []int{1}}}}).encode(&e)
	f.Add(append([]byte(nil), e.b...))
	e.reset()
	(&Card{ID: "pm", Devices: []DeviceSeen{{"d", time.Unix(1, 0)}}}).encode(&e)
	f.Add(append([]byte(nil), e.b...))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range []interface{ decode(*dec) }{&Invoice{}, &Subscription{}, &Preset{}, &Product{}, &Account{}, &Card{}} {
			d := newDec(b)
			r.decode(d)
			_ = d.done()
		}
	})
}

// TestInvoiceRecordVersions decodes an invoice with pending reminders,
// and the same record as version 1 wrote it (no pending list).
func TestInvoiceRecordVersions(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := Invoice{ID: "in_1", Status: domain.InvoiceOpen, Dunning: Dunning{State: DunningNone}}
	in.Dunning.schedule([]byte("before_due"), at.Add(48*time.Hour))
	in.Dunning.schedule([]byte("on_due"), at)
	var e enc
	e.reset()
	in.encode(&e)
	var out Invoice
	d := newDec(e.b)
	out.decode(d)
	if err := d.done(); err != nil || len(out.Dunning.pending) != 2 || !out.Dunning.NextReminderAt.Equal(at) || out.Dunning.NextReminderKind != "on_due" {
		t.Fatalf("version 2: %+v %v", out.Dunning, err)
	}
	out.Dunning.sent([]byte("on_due"), time.Time{})
	if !out.Dunning.NextReminderAt.Equal(at.Add(48*time.Hour)) || out.Dunning.RemindersSent != 1 {
		t.Fatalf("after sending on_due: %+v", out.Dunning)
	}

	in.Dunning.pending = nil
	e.reset()
	in.encode(&e)
	v1 := append([]byte{1}, e.b[1:len(e.b)-1]...) // version 1 had no pending count
	var old Invoice
	d = newDec(v1)
	old.decode(d)
	if err := d.done(); err != nil || old.ID != "in_1" || old.Dunning.NextReminderKind != "on_due" {
		t.Fatalf("version 1: %+v %v", old, err)
	}
}
