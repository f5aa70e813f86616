package dunning

import (
	"context"
	"errors"
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

// channelNone is the channel recorded for a reminder when no email
// channel is configured (the simulator): the ledger still shows that the
// customer was due the email, which the simulated world reacts to.
const channelNone = "none"

// sendReminder emails a due reminder and records ReminderSent, or
// ReminderFailed with the attempt count (retried after notify.Backoff;
// recorded as given up after maxSendAttempts).
func (e *Engine) sendReminder(ctx context.Context, inv *invoice, r domain.Reminder, now time.Time) {
	id := reminderID(inv, r)
	b := domain.Base{OccurredAt: now}
	sched := r.At
	if !e.notifier.EmailEnabled() {
		e.emit(inv, []domain.Event{domain.ReminderSent{Base: b, InvoiceID: inv.id, Kind: r.Kind, Channel: channelNone, MessageID: id, ScheduledAt: &sched}})
		return
	}
	attempt := inv.outcomes[id].attempts + 1
	var err error
	if c := e.st.customers[inv.agg.CustomerID]; c != nil && c.email != "" {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		_, err = e.notifier.SendEmail(sctx, notify.Email{To: c.email, Kind: r.Kind, MessageID: id, Data: e.emailData(inv)})
		cancel()
	} else {
		err = errors.New("customer has no email address")
		attempt = maxSendAttempts // nothing to retry until the ledger changes
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		e.log.Warn("dunning: email not sent; will retry", "message_id", id, "attempt", attempt, "err", err)
		e.emit(inv, []domain.Event{domain.ReminderFailed{Base: b, InvoiceID: inv.id, Kind: r.Kind, Channel: "email",
			MessageID: id, Attempts: attempt, Error: err.Error()}})
		return
	}
	e.emit(inv, []domain.Event{domain.ReminderSent{Base: b, InvoiceID: inv.id, Kind: r.Kind, Channel: "email", MessageID: id, ScheduledAt: &sched}})
}

// sendWebhook delivers a due webhook and records WebhookSent, delivered
// or not (then retried after notify.Backoff, with the same event id).
func (e *Engine) sendWebhook(ctx context.Context, inv *invoice, n *note, now time.Time) {
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	status, err := e.notifier.SendWebhook(sctx, n.event)
	cancel()
	if ctx.Err() != nil {
		return
	}
	attempt := n.attempts + 1
	ev := domain.WebhookSent{Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, WebhookID: n.event.ID, Type: n.event.Type,
		URL: e.notifier.WebhookURL(), Attempts: attempt, Delivered: err == nil, LastStatus: status}
	if err != nil {
		ev.LastError = err.Error()
		e.log.Warn("dunning: webhook not delivered; will retry", "id", n.event.ID, "attempt", attempt, "err", err)
	}
	e.emit(inv, []domain.Event{ev})
}
