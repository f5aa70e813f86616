package dunning

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// Notifier sends what the engine owes customers and integrators.
// *notify.Notifier implements it.
type Notifier interface {
	EmailEnabled() bool
	WebhooksEnabled() bool
	SendEmail(ctx context.Context, e notify.Email) (string, error)
	SendWebhook(ctx context.Context, ev notify.Event) (int, error)
	WebhookURL() string
}

// noNotifier is the engine's notifier when none is configured.
type noNotifier struct{}

func (noNotifier) EmailEnabled() bool    { return false }
func (noNotifier) WebhooksEnabled() bool { return false }
func (noNotifier) SendEmail(context.Context, notify.Email) (string, error) {
	return "", errors.New("email not configured")
}
func (noNotifier) SendWebhook(context.Context, notify.Event) (int, error) {
	return 0, errors.New("webhooks not configured")
}
func (noNotifier) WebhookURL() string { return "" }

// sendTimeout bounds one send so that a hung server cannot stall the
// engine; the failure is recorded and retried like any other.
const sendTimeout = 30 * time.Second

// send delivers a due note and records the outcome: ReminderSent or
// WebhookSent on success, ReminderFailed or an undelivered WebhookSent
// (with the attempt count, retried after notify.Backoff) on failure.
func (e *Engine) send(ctx context.Context, inv *invoice, n *note, now time.Time) error {
	if n.onlyIfOpen && !inv.open() {
		n.done = true // the reminder is moot: the invoice is settled
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	b := domain.Base{OccurredAt: now}
	attempt := n.attempts + 1
	if n.ch == chWebhook {
		status, err := e.notifier.SendWebhook(sctx, n.event)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ev := domain.WebhookSent{Base: b, InvoiceID: inv.id, WebhookID: n.event.ID, Type: n.event.Type,
			URL: e.notifier.WebhookURL(), Attempts: attempt, Delivered: err == nil, LastStatus: status}
		if err != nil {
			ev.LastError = err.Error()
			e.log.Warn("dunning: webhook not delivered; will retry", "id", n.event.ID, "attempt", attempt, "err", err)
		}
		e.emitInvoice(inv, n.key+"/"+strconv.Itoa(attempt), ev)
		return nil
	}
	email := n.email
	var err error
	if c := e.st.customers[inv.fin.CustomerID]; c != nil && c.email != "" {
		email.To = c.email
		_, err = e.notifier.SendEmail(sctx, email)
	} else {
		err = errors.New("customer has no email address")
		attempt = notify.MaxAttempts // nothing to retry until the ledger changes
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		e.log.Warn("dunning: email not sent; will retry", "message_id", email.MessageID, "attempt", attempt, "err", err)
		e.emitInvoice(inv, n.key+"/failed/"+strconv.Itoa(attempt), domain.ReminderFailed{Base: b, InvoiceID: inv.id,
			Kind: email.Kind, Channel: "email", MessageID: email.MessageID, Attempts: attempt, Error: err.Error()})
		return nil
	}
	e.emitInvoice(inv, n.key+"/sent", domain.ReminderSent{Base: b, InvoiceID: inv.id, Kind: email.Kind,
		Channel: "email", MessageID: email.MessageID})
	return nil
}
