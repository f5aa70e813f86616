package notify

import (
	"context"
	"fmt"
	"os"
	"strconv"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvSMTPHost      = "RECOUP_SMTP_HOST"
	EnvSMTPPort      = "RECOUP_SMTP_PORT"
	EnvSMTPUsername  = "RECOUP_SMTP_USERNAME"
	EnvSMTPPassword  = "RECOUP_SMTP_PASSWORD"
	EnvSMTPFrom      = "RECOUP_SMTP_FROM"
	EnvSMTPStartTLS  = "RECOUP_SMTP_STARTTLS"
	EnvWebhookURL    = "RECOUP_WEBHOOK_URL"
	EnvWebhookSecret = "RECOUP_WEBHOOK_SECRET"
)

// Notifier sends emails and webhooks; either part may be nil (disabled).
type Notifier struct {
	Mail  *Mailer
	Hooks *Webhooks
}

// FromEnv builds a Notifier from the environment: email when
// RECOUP_SMTP_HOST is set, webhooks when RECOUP_WEBHOOK_URL is set (which
// then needs RECOUP_WEBHOOK_SECRET).
func FromEnv(getenv func(string) string) (*Notifier, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	n := &Notifier{}
	if host := getenv(EnvSMTPHost); host != "" {
		port := 25
		if p := getenv(EnvSMTPPort); p != "" {
			v, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a port number", EnvSMTPPort, p)
			}
			port = v
		}
		m, err := NewMailer(SMTPConfig{
			Host: host, Port: port,
			Username: getenv(EnvSMTPUsername), Password: getenv(EnvSMTPPassword),
			From: getenv(EnvSMTPFrom), StartTLS: getenv(EnvSMTPStartTLS) == "true",
		})
		if err != nil {
			return nil, err
		}
		n.Mail = m
	}
	if u := getenv(EnvWebhookURL); u != "" {
		h, err := NewWebhooks(WebhookConfig{URL: u, Secret: []byte(getenv(EnvWebhookSecret))})
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", EnvWebhookURL, EnvWebhookSecret, err)
		}
		n.Hooks = h
	}
	return n, nil
}

// EmailEnabled and WebhooksEnabled report which channels are configured.
func (n *Notifier) EmailEnabled() bool    { return n != nil && n.Mail != nil }
func (n *Notifier) WebhooksEnabled() bool { return n != nil && n.Hooks != nil }

// SendEmail sends through the configured mailer.
func (n *Notifier) SendEmail(ctx context.Context, e Email) (string, error) {
	if !n.EmailEnabled() {
		return "", fmt.Errorf("send email: %w", errDisabled)
	}
	return n.Mail.Send(ctx, e)
}

// SendWebhook sends through the configured endpoint.
func (n *Notifier) SendWebhook(ctx context.Context, ev Event) (int, error) {
	if !n.WebhooksEnabled() {
		return 0, fmt.Errorf("send webhook: %w", errDisabled)
	}
	return n.Hooks.Send(ctx, ev)
}

var errDisabled = fmt.Errorf("channel not configured")

// WebhookURL is the configured endpoint ("" when webhooks are off).
func (n *Notifier) WebhookURL() string {
	if !n.WebhooksEnabled() {
		return ""
	}
	return n.Hooks.URL()
}
