// Package notify sends what the dunning engine tells customers and
// integrators: emails rendered from embedded templates and sent over SMTP
// (github.com/wneessen/go-mail), and outbound webhooks shaped like Stripe's
// events, signed with HMAC-SHA256 in a Recoup-Signature header.
//
// The package sends; it does not decide or remember. The engine decides
// what to send and when, gives every message a stable identity (the email's
// Message-ID, the webhook's evt_ id) derived from the ledger, records every
// send or failure as an event, and retries failures after Backoff. A
// receiver that sees the same id twice can drop the duplicate, which is
// what makes at-least-once delivery after a crash harmless.
//
// Secrets (SMTP password, webhook signing secret) come from the
// environment through ConfigFromEnv and are never written to the ledger.
package notify
