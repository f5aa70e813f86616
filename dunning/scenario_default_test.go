package dunning_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// The default preset (3 retries over 7 days: 1, 2 and 4 days apart; pause
// during; cancel and leave overdue after) on an insufficient-funds decline.
func TestScenarioDefaultPresetInsufficientFunds(t *testing.T) {
	h := newHarness(t)
	_, _, sub := h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "insufficient_funds")
	stream := domain.InvoiceStream(inv)

	h.advance(at(12 * time.Hour))
	if got := h.types(domain.SubscriptionStream(sub)); !slices.Equal(got, []string{"SubscriptionStarted", "SubscriptionPaused"}) {
		t.Fatalf("subscription during recovery: %v", got)
	}
	h.advance(at(30 * day))

	want := []time.Time{at(1 * day), at(3 * day), at(7 * day)}
	if got := h.gw.attemptTimes(inv); !slices.Equal(got, want) {
		t.Fatalf("retries at %v, want %v", got, want)
	}
	evs := h.events(stream)
	attempts := ofType[domain.PaymentAttempted](evs)
	if len(attempts) != 4 {
		t.Fatalf("%d attempts recorded, want 4", len(attempts))
	}
	for i, a := range attempts {
		if a.AttemptNumber != i+1 || a.Outcome != domain.Failed {
			t.Errorf("attempt %d: number %d outcome %s", i, a.AttemptNumber, a.Outcome)
		}
		if i > 0 && (a.Initiator != domain.InitiatorRetry || a.Source != domain.SourceSchedule || a.Propensity != 1 || !a.OccurredAt.Equal(want[i-1])) {
			t.Errorf("retry %d: %+v", i, a)
		}
	}
	sched := ofType[domain.RetryScheduled](evs)
	if len(sched) != 3 {
		t.Fatalf("%d RetryScheduled, want 3", len(sched))
	}
	for i, s := range sched {
		if s.AttemptNumber != i+2 || !s.At.Equal(want[i]) || s.Source != domain.SourceSchedule {
			t.Errorf("RetryScheduled %d: %+v", i, s)
		}
	}
	started := ofType[domain.DunningStarted](evs)
	if len(started) != 1 || started[0].PresetID != "default" || !slices.Equal(started[0].Preset.Schedule, []int{1, 2, 4}) {
		t.Fatalf("DunningStarted: %+v", started)
	}
	if ex := ofType[domain.DunningExhausted](evs); len(ex) != 1 || ex[0].Attempts != 4 || !ex[0].OccurredAt.Equal(at(7*day)) {
		t.Fatalf("DunningExhausted: %+v", ex)
	}
	if od := ofType[domain.InvoiceLeftOverdue](evs); len(od) != 1 || od[0].UncollectibleAt != nil {
		t.Fatalf("InvoiceLeftOverdue: %+v", od)
	}
	subEvs := h.events(domain.SubscriptionStream(sub))
	if got := h.types(domain.SubscriptionStream(sub)); !slices.Equal(got, []string{"SubscriptionStarted", "SubscriptionPaused", "SubscriptionCanceled"}) {
		t.Fatalf("subscription: %v", got)
	}
	if c := subEvs[2].(domain.SubscriptionCanceled); c.Reason != "payment_failed" || c.InvoiceID != inv || !c.OccurredAt.Equal(at(7*day)) {
		t.Fatalf("cancel: %+v", c)
	}

	// Four payment-failed emails, one per failed attempt, to the customer.
	msgs := h.smtp.Messages()
	if len(msgs) != 4 {
		t.Fatalf("SMTP server got %d emails, want 4", len(msgs))
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		if m.To[0] != "1@example.com" || !strings.HasPrefix(m.Subject, "Payment failed for invoice in_1") {
			t.Errorf("email to %v subject %q", m.To, m.Subject)
		}
		ids[m.Header.Get("Message-Id")] = true
	}
	if len(ids) != 4 {
		t.Errorf("Message-IDs not distinct: %v", ids)
	}
	if body := string(msgs[0].Raw); !strings.Contains(body, "https://pay.recoup.test/pay/in_1") {
		t.Errorf("first email lacks the pay link:\n%s", body)
	}
	if sent := ofType[domain.ReminderSent](evs); len(sent) != 4 {
		t.Errorf("%d ReminderSent recorded, want 4", len(sent))
	}

	// invoice.payment_failed per attempt, with next_payment_attempt.
	failed := h.webhooksOf(notify.EventInvoicePaymentFailed)
	if len(failed) != 4 {
		t.Fatalf("%d invoice.payment_failed webhooks, want 4", len(failed))
	}
	wantNext := []*int64{unix(want[0]), unix(want[1]), unix(want[2]), nil}
	for i, ev := range failed {
		var o notify.Invoice
		if err := json.Unmarshal(ev.Data.Object, &o); err != nil {
			t.Fatal(err)
		}
		if o.AttemptCount != i+1 || !sameUnix(o.NextPaymentAttempt, wantNext[i]) || o.ID != inv || o.AmountRemaining != 2500 {
			t.Errorf("webhook %d: attempt_count %d next %v (want %v)", i, o.AttemptCount, deref(o.NextPaymentAttempt), deref(wantNext[i]))
		}
		if !strings.HasPrefix(ev.ID, "evt_") {
			t.Errorf("webhook id %q", ev.ID)
		}
	}
	subHooks := h.webhooksOf(notify.EventSubscriptionUpdated)
	if len(subHooks) != 2 {
		t.Fatalf("%d customer.subscription.updated, want 2", len(subHooks))
	}
	var s0, s1 notify.Subscription
	_ = json.Unmarshal(subHooks[0].Data.Object, &s0)
	_ = json.Unmarshal(subHooks[1].Data.Object, &s1)
	if s0.Status != "paused" || s1.Status != "canceled" || s1.CancellationReason != "payment_failed" {
		t.Errorf("subscription webhooks: %+v %+v", s0, s1)
	}
	if h.hooks.Rejected() != 0 {
		t.Errorf("receiver rejected %d deliveries", h.hooks.Rejected())
	}
	if sent := ofType[domain.WebhookSent](evs); len(sent) != 6 {
		t.Errorf("%d WebhookSent recorded, want 6", len(sent))
	}

	// Nothing further happens, however long we wait.
	n := len(h.events(stream))
	h.advance(at(90 * day))
	if m := len(h.events(stream)); m != n || len(h.gw.attemptTimes(inv)) != 3 {
		t.Fatalf("engine kept acting after the run ended: %d → %d events", n, m)
	}
}

func unix(t time.Time) *int64 { u := t.Unix(); return &u }

func sameUnix(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return time.Unix(*p, 0).UTC()
}
