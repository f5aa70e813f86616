package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestErrorsNameTheFieldAndRule(t *testing.T) {
	err := manual(0, 1, 1, 1, 1, 1, 1, 1, 1).Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrValidation) {
		t.Fatalf("not a validation error: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"schedule: at most 8 manual retries", "(out_of_range)", "schedule[0]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if p := ve.Prefixed("spec"); p.Fields[0].Field != "spec.schedule" || ve.Fields[0].Field != "schedule" {
		t.Fatalf("prefix: %+v, original %+v", p.Fields[0], ve.Fields[0])
	}

	_, err = RebuildInvoice([]Event{finalized(1000), InvoiceVoided{InvoiceID: "in_1"}}).MarkUncollectible("x", t0)
	var se *StateError
	if !errors.As(err, &se) || !errors.Is(err, ErrInvalidTransition) || se.Field != "status" {
		t.Fatalf("state error: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "invoice in_1") || !strings.Contains(msg, "from void to uncollectible") {
		t.Fatalf("message %q does not say what and why", msg)
	}
}

func TestEventStreams(t *testing.T) {
	prefix := map[string]string{
		"Customer": "customer-", "PaymentMethod": "paymentmethod-", "CardActivity": "paymentmethod-",
		"Product": "product-", "Preset": "preset-", "DefaultPreset": "settings", "CollectionSettings": "settings",
		"Subscription": "subscription-", "Webhook": "invoice-",
	}
	for _, e := range sampleEvents() {
		want := "invoice-"
		for p, s := range prefix {
			if strings.HasPrefix(e.EventType(), p) {
				want = s
			}
		}
		if got := e.StreamName(); !strings.HasPrefix(got, want) || got == want && want != "settings" {
			t.Errorf("%s goes to stream %q, want %q<id>", e.EventType(), got, want)
		}
		if !e.When().Equal(t0) {
			t.Errorf("%s: business time %v", e.EventType(), e.When())
		}
	}
	if webhookStream("") != "webhooks" {
		t.Error("webhooks without an invoice need their own stream")
	}
}
