package dunning_test

import (
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/dunning/notify"
)

// Each preset option, on an insufficient-funds decline that never cures.
func TestScenarioPresetOptions(t *testing.T) {
	tests := []struct {
		name string
		spec domain.PresetSpec
		// asDefault makes the preset the account default instead of
		// assigning it to the product.
		asDefault bool
		retries   []time.Time // nil: checked by check instead
		sub       []string    // subscription stream after the run
		invoice   []string    // outcome events of the invoice
		check     func(t *testing.T, h *harness, inv string)
	}{
		{
			name: "manual schedule 2,3 days, keep active during and after, write off",
			spec: domain.PresetSpec{Name: "p", RetriesEnabled: true, Schedule: []int{2, 3}, DuringRecovery: domain.DuringKeepActive,
				AfterSub: domain.AfterKeepActive, AfterInvoice: domain.InvoiceWriteOff},
			retries: []time.Time{at(2 * day), at(5 * day)},
			sub:     []string{"SubscriptionStarted", "SubscriptionMarkedPastDue", "SubscriptionResumed"},
			invoice: []string{"DunningExhausted", "InvoiceWrittenOff", "InvoiceMarkedUncollectible"},
			check: func(t *testing.T, h *harness, inv string) {
				w := ofType[domain.InvoiceWrittenOff](h.events(domain.InvoiceStream(inv)))
				if w[0].Amount != 2500 || !w[0].OccurredAt.Equal(at(5*day)) {
					t.Errorf("written off: %+v", w[0])
				}
			},
		},
		{
			name: "retries off, pause after, leave overdue 5 days then uncollectible",
			spec: domain.PresetSpec{Name: "p", RetriesEnabled: false, DuringRecovery: domain.DuringPause,
				AfterSub: domain.AfterPause, AfterInvoice: domain.InvoiceLeaveOverdueDays, OverdueDays: 5},
			asDefault: true,
			retries:   []time.Time{},
			sub:       []string{"SubscriptionStarted", "SubscriptionPaused"},
			invoice:   []string{"DunningExhausted", "InvoiceLeftOverdue", "InvoiceMarkedUncollectible"},
			check: func(t *testing.T, h *harness, inv string) {
				evs := h.events(domain.InvoiceStream(inv))
				od := ofType[domain.InvoiceLeftOverdue](evs)[0]
				if od.UncollectibleAt == nil || !od.UncollectibleAt.Equal(at(5*day)) {
					t.Errorf("uncollectible_at %v, want %v", od.UncollectibleAt, at(5*day))
				}
				if u := ofType[domain.InvoiceMarkedUncollectible](evs)[0]; !u.OccurredAt.Equal(at(5 * day)) {
					t.Errorf("marked uncollectible at %v", u.OccurredAt)
				}
				if p := ofType[domain.SubscriptionPaused](h.events(domain.SubscriptionStream("sub_1")))[0]; p.Reason != "payment_failed" {
					t.Errorf("pause reason %q", p.Reason)
				}
				if n := len(h.webhooksOf(notify.EventInvoiceMarkedUncollectible)); n != 1 {
					t.Errorf("%d invoice.marked_uncollectible webhooks, want 1", n)
				}
			},
		},
		{
			name: "smart retries: 3 within 7 days, planned by the heuristic",
			spec: domain.PresetSpec{Name: "p", RetriesEnabled: true, SmartRetries: true, SmartMaxRetries: 3, SmartWindowDays: 7,
				DuringRecovery: domain.DuringPause, AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue},
			sub:     []string{"SubscriptionStarted", "SubscriptionPaused", "SubscriptionCanceled"},
			invoice: []string{"DunningExhausted", "InvoiceLeftOverdue"},
			check: func(t *testing.T, h *harness, inv string) {
				got := h.gw.attemptTimes(inv)
				if len(got) != 3 {
					t.Fatalf("%d retries, want 3", len(got))
				}
				ny, _ := time.LoadLocation("America/New_York")
				prev := t0
				for _, r := range got {
					if r.Sub(prev) < 12*time.Hour || r.After(at(7*day)) || r.In(ny).Hour() != 10 {
						t.Errorf("smart retry at %v (local %v) breaks spacing, window or 10:00 local", r, r.In(ny))
					}
					prev = r
				}
				for _, s := range ofType[domain.RetryScheduled](h.events(domain.InvoiceStream(inv))) {
					if s.Source != domain.SourceSmart || s.ModelVersion != dunning.HeuristicVersion || s.Score <= 0 {
						t.Errorf("RetryScheduled %+v: want source smart, model %s, a score", s, dunning.HeuristicVersion)
					}
				}
			},
		},
		{
			name: "eight daily retries",
			spec: domain.PresetSpec{Name: "p", RetriesEnabled: true, Schedule: []int{1, 1, 1, 1, 1, 1, 1, 1},
				DuringRecovery: domain.DuringPause, AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue},
			retries: []time.Time{at(day), at(2 * day), at(3 * day), at(4 * day), at(5 * day), at(6 * day), at(7 * day), at(8 * day)},
			sub:     []string{"SubscriptionStarted", "SubscriptionPaused", "SubscriptionCanceled"},
			invoice: []string{"DunningExhausted", "InvoiceLeftOverdue"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.customer("1", domain.Visa)
			b := domain.Base{OccurredAt: t0}
			h.record(domain.PresetCreated{Base: b, PresetID: "dp_x", Spec: tc.spec})
			if tc.asDefault {
				h.record(domain.DefaultPresetChanged{Base: b, PresetID: "dp_x"})
			} else {
				h.record(domain.ProductPresetAssigned{Base: b, ProductID: "prod_1", PresetID: "dp_x"})
			}
			inv := h.failedRenewal("1", "insufficient_funds")
			h.advance(at(60 * day))
			if tc.retries != nil {
				if got := h.gw.attemptTimes(inv); !slices.Equal(got, tc.retries) && !(len(got) == 0 && len(tc.retries) == 0) {
					t.Fatalf("retries at %v, want %v", got, tc.retries)
				}
			}
			if got := h.types(domain.SubscriptionStream("sub_1")); !slices.Equal(got, tc.sub) {
				t.Errorf("subscription: %v, want %v", got, tc.sub)
			}
			var outcome []string
			for _, ty := range h.types(domain.InvoiceStream(inv)) {
				switch ty {
				case "DunningExhausted", "InvoiceWrittenOff", "InvoiceLeftOverdue", "InvoiceMarkedUncollectible", "InvoicePaid":
					outcome = append(outcome, ty)
				}
			}
			if !slices.Equal(outcome, tc.invoice) {
				t.Errorf("invoice outcome: %v, want %v", outcome, tc.invoice)
			}
			started := ofType[domain.DunningStarted](h.events(domain.InvoiceStream(inv)))
			if len(started) != 1 || started[0].PresetID != "dp_x" || started[0].Preset.Name != tc.spec.Name {
				t.Errorf("DunningStarted: %+v", started)
			}
			if tc.check != nil {
				tc.check(t, h, inv)
			}
		})
	}
}

// A run keeps the preset it started with: editing the preset mid-run
// changes nothing for it.
func TestScenarioRunKeepsPresetSnapshot(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	b := domain.Base{OccurredAt: t0}
	spec := domain.PresetSpec{Name: "two", RetriesEnabled: true, Schedule: []int{1, 1}, DuringRecovery: domain.DuringPause,
		AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue}
	h.record(domain.PresetCreated{Base: b, PresetID: "dp_x", Spec: spec},
		domain.ProductPresetAssigned{Base: b, ProductID: "prod_1", PresetID: "dp_x"})
	inv := h.failedRenewal("1", "insufficient_funds")
	h.advance(at(12 * time.Hour))
	spec.Schedule = []int{5, 5, 5, 5}
	h.record(domain.PresetUpdated{Base: domain.Base{OccurredAt: at(12 * time.Hour)}, PresetID: "dp_x", Spec: spec})
	h.advance(at(60 * day))
	if got := h.gw.attemptTimes(inv); !slices.Equal(got, []time.Time{at(day), at(2 * day)}) {
		t.Fatalf("retries at %v, want the snapshot's 1 and 2 days", got)
	}
}
