package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/dunning/notify/notifytest"
)

func TestMailerSendsEachKindOverSMTP(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	m, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, From: "billing@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	next := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		kind        domain.ReminderKind
		subject     string
		bodyContain []string
	}{
		{domain.ReminderPaymentFailed, "Payment failed for invoice in_1", []string{"USD 12.34", "12 March 2026", "https://pay.example/in_1", "https://pay.example/in_1/card", "insufficient_funds"}},
		{domain.ReminderBeforeDue, "Invoice in_1 is due 10 March 2026", []string{"due on 10 March 2026"}},
		{domain.ReminderOnDue, "Invoice in_1 is due today", []string{"due today"}},
		{domain.ReminderAfterDue, "Invoice in_1 is past due", []string{"still unpaid"}},
		{domain.ReminderInvoiceFinalized, "New invoice in_1 for USD 12.34", []string{"is ready"}},
	}
	for i, tc := range tests {
		id := "msg-" + string(tc.kind) + "@recoup.test"
		_, err := m.Send(context.Background(), notify.Email{
			To: "ada@example.com", Kind: tc.kind, MessageID: id,
			Data: notify.EmailData{CustomerName: "Ada", InvoiceID: "in_1", Amount: 1234, Currency: "usd",
				DueDate: &due, NextPaymentAttempt: &next, DeclineCode: "insufficient_funds", AttemptCount: 1,
				PayURL: "https://pay.example/in_1", UpdateCardURL: "https://pay.example/in_1/card"},
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		msgs := srv.Messages()
		if len(msgs) != i+1 {
			t.Fatalf("%s: server has %d messages, want %d", tc.kind, len(msgs), i+1)
		}
		got := msgs[i]
		if got.Subject != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.kind, got.Subject, tc.subject)
		}
		if got.Header.Get("Message-Id") != "<"+id+">" {
			t.Errorf("%s: Message-ID %q", tc.kind, got.Header.Get("Message-Id"))
		}
		if len(got.To) != 1 || got.To[0] != "ada@example.com" || got.From != "billing@example.com" {
			t.Errorf("%s: envelope from %q to %v", tc.kind, got.From, got.To)
		}
		raw := decodeQP(string(got.Raw))
		for _, want := range tc.bodyContain {
			if !strings.Contains(raw, want) {
				t.Errorf("%s: body lacks %q:\n%s", tc.kind, want, raw)
			}
		}
		if !strings.Contains(raw, "text/html") || !strings.Contains(raw, "text/plain") {
			t.Errorf("%s: want text and HTML alternatives", tc.kind)
		}
	}
}

func TestMailerReportsServerRefusal(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	m, err := notify.NewMailer(notify.SMTPConfig{Host: srv.Host, Port: srv.Port, From: "billing@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1)
	e := notify.Email{To: "ada@example.com", Kind: domain.ReminderOnDue, MessageID: "x@recoup.test",
		Data: notify.EmailData{InvoiceID: "in_1", Amount: 100, Currency: "eur"}}
	if _, err := m.Send(context.Background(), e); err == nil {
		t.Fatal("send succeeded although the server refused the message")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("server kept %d messages after refusing", n)
	}
	if _, err := m.Send(context.Background(), e); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("server has %d messages, want 1", n)
	}
}

func TestMailerConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		cfg  notify.SMTPConfig
		want string
	}{
		{notify.SMTPConfig{Port: 25, From: "a@b.c"}, "host"},
		{notify.SMTPConfig{Host: "h", Port: 0, From: "a@b.c"}, "port"},
		{notify.SMTPConfig{Host: "h", Port: 70000, From: "a@b.c"}, "port"},
		{notify.SMTPConfig{Host: "h", Port: 25}, "from"},
	}
	for _, tc := range tests {
		_, err := notify.NewMailer(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewMailer(%+v) = %v, want an error naming %q", tc.cfg, err, tc.want)
		}
	}
}

func TestRenderRefusesUnknownKind(t *testing.T) {
	_, err := notify.Render(notify.Email{Kind: "nope"})
	if err == nil || !strings.Contains(err.Error(), "kind") {
		t.Fatalf("Render(unknown) = %v, want an error naming kind", err)
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{{1234, "usd", "USD 12.34"}, {5, "eur", "EUR 0.05"}, {-250, "gbp", "-GBP 2.50"}, {0, "usd", "USD 0.00"}}
	for _, tc := range tests {
		if got := notify.FormatAmount(tc.amount, tc.currency); got != tc.want {
			t.Errorf("FormatAmount(%d, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

// decodeQP undoes quoted-printable soft line breaks and =3D so that body
// text can be searched.
func decodeQP(s string) string {
	s = strings.ReplaceAll(s, "=\r\n", "")
	s = strings.ReplaceAll(s, "=\n", "")
	return strings.ReplaceAll(s, "=3D", "=")
}
