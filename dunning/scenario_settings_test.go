package dunning_test

import (
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// Each automatic-collection setting.
func TestScenarioCollectionSettings(t *testing.T) {
	due := at(10 * day)
	tests := []struct {
		name     string
		settings domain.CollectionSettings
		// oneOff records a send_invoice invoice due in 10 days instead of a
		// failed renewal; payAt, if set, records it paid then.
		oneOff bool
		payAt  time.Duration
		emails []domain.ReminderKind // kinds sent, in order
		sentAt []time.Time           // when, in the same order (nil: not checked)
		check  func(t *testing.T, h *harness, inv string)
	}{
		{
			name:     "failed-payment emails off: no email, webhooks still sent",
			settings: domain.CollectionSettings{FailedPaymentEmails: false},
			emails:   nil,
			check: func(t *testing.T, h *harness, inv string) {
				if n := len(h.webhooksOf(notify.EventInvoicePaymentFailed)); n != 4 {
					t.Errorf("%d payment_failed webhooks, want 4", n)
				}
			},
		},
		{
			name:     "failed-payment emails on",
			settings: domain.CollectionSettings{FailedPaymentEmails: true},
			emails:   []domain.ReminderKind{"payment_failed", "payment_failed", "payment_failed", "payment_failed"},
			sentAt:   []time.Time{t0, at(day), at(3 * day), at(7 * day)},
		},
		{
			name:     "mark uncollectible 30 days past due after leaving overdue",
			settings: domain.CollectionSettings{UncollectibleAfterDays: 30},
			check: func(t *testing.T, h *harness, inv string) {
				evs := h.events(domain.InvoiceStream(inv))
				od := ofType[domain.InvoiceLeftOverdue](evs)
				if len(od) != 1 || od[0].UncollectibleAt != nil {
					t.Fatalf("left overdue: %+v", od)
				}
				u := ofType[domain.InvoiceMarkedUncollectible](evs)
				if len(u) != 1 || !u[0].OccurredAt.Equal(at(30*day)) {
					t.Fatalf("marked uncollectible: %+v", u)
				}
				if n := len(h.webhooksOf(notify.EventInvoiceMarkedUncollectible)); n != 1 {
					t.Errorf("%d invoice.marked_uncollectible webhooks, want 1", n)
				}
			},
		},
		{
			name:     "leave past due: never marked uncollectible",
			settings: domain.CollectionSettings{UncollectibleAfterDays: 0},
			check: func(t *testing.T, h *harness, inv string) {
				if u := ofType[domain.InvoiceMarkedUncollectible](h.events(domain.InvoiceStream(inv))); len(u) != 0 {
					t.Fatalf("marked uncollectible: %+v", u)
				}
			},
		},
		{
			name: "send_invoice: finalized email and reminders before, on and after the due date, then uncollectible after 60 days",
			settings: domain.CollectionSettings{EmailFinalizedInvoices: true, RemindBeforeDueDays: []int{3}, RemindOnDue: true,
				RemindAfterDueDays: []int{2}, UncollectibleAfterDays: 60},
			oneOff: true,
			emails: []domain.ReminderKind{"invoice_finalized", "before_due", "on_due", "after_due"},
			sentAt: []time.Time{t0, due.Add(-3 * day), due, due.Add(2 * day)},
			check: func(t *testing.T, h *harness, inv string) {
				u := ofType[domain.InvoiceMarkedUncollectible](h.events(domain.InvoiceStream(inv)))
				if len(u) != 1 || !u[0].OccurredAt.Equal(due.Add(60*day)) {
					t.Fatalf("marked uncollectible: %+v", u)
				}
			},
		},
		{
			name:     "send_invoice paid before the due date: later reminders are not sent",
			settings: domain.CollectionSettings{EmailFinalizedInvoices: false, RemindBeforeDueDays: []int{3}, RemindOnDue: true, RemindAfterDueDays: []int{2}},
			oneOff:   true,
			payAt:    8 * day,
			emails:   []domain.ReminderKind{"before_due"},
			sentAt:   []time.Time{due.Add(-3 * day)},
			check: func(t *testing.T, h *harness, inv string) {
				if n := len(h.webhooksOf(notify.EventInvoicePaid)); n != 1 {
					t.Errorf("%d invoice.paid webhooks, want 1", n)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.customer("1", domain.Visa)
			h.record(domain.CollectionSettingsChanged{Base: domain.Base{OccurredAt: t0}, Settings: tc.settings})
			var inv string
			if tc.oneOff {
				inv = "in_1"
				d := due
				h.record(domain.InvoiceFinalized{Base: domain.Base{OccurredAt: t0}, InvoiceID: inv, CustomerID: "cus_1", Amount: 9900,
					Currency: "usd", DueDate: &d, CollectionMethod: domain.SendInvoice, AutoAdvance: true, BillingReason: "manual"})
			} else {
				inv = h.failedRenewal("1", "insufficient_funds")
			}
			if tc.payAt > 0 {
				h.advance(at(tc.payAt))
				b := domain.Base{OccurredAt: at(tc.payAt)}
				h.record(domain.PaymentSucceeded{Base: b, InvoiceID: inv, Amount: 9900}, domain.InvoicePaid{Base: b, InvoiceID: inv, AmountPaid: 9900})
			}
			h.advance(at(90 * day))
			sent := ofType[domain.ReminderSent](h.events(domain.InvoiceStream(inv)))
			var kinds []domain.ReminderKind
			var when []time.Time
			for _, s := range sent {
				kinds = append(kinds, s.Kind)
				when = append(when, s.OccurredAt)
			}
			if !slices.Equal(kinds, tc.emails) {
				t.Fatalf("emails sent %v, want %v", kinds, tc.emails)
			}
			if tc.sentAt != nil && !slices.Equal(when, tc.sentAt) {
				t.Errorf("emails sent at %v, want %v", when, tc.sentAt)
			}
			if n := len(h.smtp.Messages()); n != len(tc.emails) {
				t.Errorf("SMTP server got %d emails, want %d", n, len(tc.emails))
			}
			if tc.check != nil {
				tc.check(t, h, inv)
			}
		})
	}
}
