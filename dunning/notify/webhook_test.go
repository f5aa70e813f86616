package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/dunning/notify/notifytest"
)

var secret = []byte("whsec_test_0123456789abcdef")

func TestWebhookIsSignedAndStripeShaped(t *testing.T) {
	rcv := notifytest.NewReceiver(t, secret)
	w, err := notify.NewWebhooks(notify.WebhookConfig{URL: rcv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	ev, err := notify.NewEvent("evt_1", notify.EventInvoicePaymentFailed, time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC),
		notify.Invoice{ID: "in_1", Object: "invoice", Status: "open", AttemptCount: 1, NextPaymentAttempt: notify.Unix(&next)})
	if err != nil {
		t.Fatal(err)
	}
	status, err := w.Send(context.Background(), ev)
	if err != nil || status != 200 {
		t.Fatalf("Send = %d, %v", status, err)
	}
	got := rcv.Deliveries()
	if len(got) != 1 || rcv.Rejected() != 0 {
		t.Fatalf("receiver got %d deliveries, rejected %d", len(got), rcv.Rejected())
	}
	var raw map[string]any
	if err := json.Unmarshal(got[0].Body, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["id"] != "evt_1" || raw["type"] != "invoice.payment_failed" || raw["created"] != float64(1773219600) {
		t.Errorf("envelope = %v", raw)
	}
	obj := raw["data"].(map[string]any)["object"].(map[string]any)
	if obj["attempt_count"] != float64(1) || obj["next_payment_attempt"] != float64(next.Unix()) {
		t.Errorf("object = %v", obj)
	}
}

func TestWebhookWithWrongSecretIsRejectedByReceiver(t *testing.T) {
	rcv := notifytest.NewReceiver(t, secret)
	w, err := notify.NewWebhooks(notify.WebhookConfig{URL: rcv.URL, Secret: []byte("another-secret-of-enough-length")})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := notify.NewEvent("evt_2", notify.EventInvoicePaid, time.Now(), notify.Invoice{ID: "in_2"})
	status, err := w.Send(context.Background(), ev)
	var de *notify.DeliveryError
	if !errors.As(err, &de) || status != 400 || de.Status != 400 {
		t.Fatalf("Send = %d, %v; want a 400 DeliveryError", status, err)
	}
	if rcv.Rejected() != 1 || len(rcv.Deliveries()) != 0 {
		t.Fatalf("rejected %d, delivered %d", rcv.Rejected(), len(rcv.Deliveries()))
	}
}

func TestWebhookFailureIsAnError(t *testing.T) {
	rcv := notifytest.NewReceiver(t, secret)
	rcv.FailNext(1)
	w, _ := notify.NewWebhooks(notify.WebhookConfig{URL: rcv.URL, Secret: secret})
	ev, _ := notify.NewEvent("evt_3", notify.EventInvoicePaid, time.Now(), notify.Invoice{ID: "in_3"})
	if status, err := w.Send(context.Background(), ev); err == nil || status != 503 {
		t.Fatalf("Send = %d, %v; want 503 error", status, err)
	}
	if _, err := w.Send(context.Background(), ev); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if len(rcv.Deliveries()) != 1 {
		t.Fatalf("deliveries = %d", len(rcv.Deliveries()))
	}
}

func TestWebhookConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		cfg  notify.WebhookConfig
		want string
	}{
		{notify.WebhookConfig{URL: "ftp://x", Secret: secret}, "url"},
		{notify.WebhookConfig{URL: "/relative", Secret: secret}, "url"},
		{notify.WebhookConfig{URL: "https://x.example/h", Secret: []byte("short")}, "secret"},
	}
	for _, tc := range tests {
		if _, err := notify.NewWebhooks(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewWebhooks(%q) = %v, want an error naming %q", tc.cfg.URL, err, tc.want)
		}
	}
}

func TestBackoffDoublesToACap(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for i, w := range want {
		if got := notify.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := notify.Backoff(40); got != 6*time.Hour {
		t.Errorf("Backoff(40) = %v, want the 6h cap", got)
	}
}
