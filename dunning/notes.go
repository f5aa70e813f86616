package dunning

import (
	"fmt"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// Notes are the notifications the ledger says are owed. They are created
// while applying their trigger event (so a replay recreates them), sent
// when due by act, and closed by the ReminderSent / WebhookSent the engine
// records after sending.

const reasonDunning = "dunning"

// maxNoteAge bounds how late a notification may be first sent: a trigger
// older than this when it is applied (for example when webhooks are first
// configured on an old ledger) creates no note, rather than mailing a
// year of history.
const maxNoteAge = 72 * time.Hour

func reminderKey(kind domain.ReminderKind, at time.Time) string {
	return string(kind) + "@" + strconv.FormatInt(at.Unix(), 10)
}

func (e *Engine) tooOld(trigger time.Time) bool {
	return e.clock.Now().Sub(trigger) > maxNoteAge
}

// emailNote owes the customer an email of kind at time at.
func (e *Engine) emailNote(inv *invoice, key string, kind domain.ReminderKind, at time.Time, next *time.Time, onlyIfOpen bool) {
	if !e.notifier.EmailEnabled() || e.tooOld(at) {
		return
	}
	key = inv.id + "/email/" + key
	if inv.note(key) != nil {
		return
	}
	n := &note{
		key: key, ch: chEmail, at: at, onlyIfOpen: onlyIfOpen,
		email: notify.Email{Kind: kind, MessageID: messageID(key), Data: e.emailData(inv, next)},
	}
	inv.addNote(n, n.email.MessageID)
}

// webhookNote owes the integrator a webhook event about obj.
func (e *Engine) webhookNote(inv *invoice, key, typ string, created time.Time, obj any) {
	if !e.notifier.WebhooksEnabled() || e.tooOld(created) {
		return
	}
	key = inv.id + "/webhook/" + key
	if inv.note(key) != nil {
		return
	}
	ev, err := notify.NewEvent(webhookID(key), typ, created, obj)
	if err != nil {
		e.log.Error("dunning: cannot encode webhook", "key", key, "err", err)
		return
	}
	inv.addNote(&note{key: key, ch: chWebhook, at: created, event: ev}, ev.ID)
}

// failureNotes are owed once the engine has decided what follows a failed
// attempt (next is the retry, nil when none remains): the payment-failed
// email and the invoice.payment_failed webhook with next_payment_attempt.
func (e *Engine) failureNotes(inv *invoice, at time.Time, next *time.Time) {
	last := inv.lastAttempt()
	if last == nil || last.Outcome != domain.Failed {
		return
	}
	n := strconv.Itoa(last.AttemptNumber)
	settings := e.st.settings
	if inv.run != nil {
		settings = inv.run.started.Settings
	}
	if settings.FailedPaymentEmails {
		e.emailNote(inv, "payment_failed/"+n, domain.ReminderPaymentFailed, at, next, false)
	}
	e.webhookNote(inv, "payment_failed/"+n, notify.EventInvoicePaymentFailed, at, e.invoiceObject(inv, next))
}

// subscriptionNote owes a customer.subscription.updated webhook.
func (e *Engine) subscriptionNote(inv *invoice, sub *subscription, ev domain.Event, reason string) {
	obj := notify.Subscription{ID: sub.id, Object: "subscription", Customer: sub.customerID,
		Status: string(sub.status), LatestInvoice: inv.id}
	if sub.status == domain.SubscriptionCanceledSt {
		obj.CancellationReason = reason
	}
	key := fmt.Sprintf("subscription/%s/%s/%s", sub.id, ev.EventType(), reason)
	e.webhookNote(inv, key, notify.EventSubscriptionUpdated, ev.When(), obj)
}

// Outcomes are also kept by id, because $all may hold a send's record
// before its trigger (they are in different streams, appended
// concurrently): a note created later starts from its recorded outcome.
type outcome struct {
	attempts int
	at       time.Time
	done     bool
}

func (e *Engine) noteDone(inv *invoice, id string) {
	o := inv.outcomes[id]
	o.done = true
	inv.outcomes[id] = o
	for _, n := range inv.notes {
		if n.email.MessageID == id && n.ch == chEmail || n.event.ID == id && n.ch == chWebhook {
			n.done = true
		}
	}
}

func (e *Engine) noteFailed(inv *invoice, id string, attempts int, at time.Time) {
	if o := inv.outcomes[id]; attempts > o.attempts {
		inv.outcomes[id] = outcome{attempts: attempts, at: at, done: o.done || attempts >= notify.MaxAttempts}
	}
	for _, n := range inv.notes {
		if n.email.MessageID == id && n.ch == chEmail || n.event.ID == id && n.ch == chWebhook {
			n.attempts = attempts
			n.at = at.Add(notify.Backoff(attempts))
			if attempts >= notify.MaxAttempts {
				n.done = true // given up, and recorded as such
			}
		}
	}
}

// invoiceObject is the Stripe-shaped invoice of a webhook.
func (e *Engine) invoiceObject(inv *invoice, next *time.Time) notify.Invoice {
	o := notify.Invoice{
		ID: inv.id, Object: "invoice", Customer: inv.fin.CustomerID, Subscription: inv.fin.SubscriptionID,
		Status: string(inv.status), Currency: inv.fin.Currency, AmountDue: inv.fin.Amount,
		AmountPaid: inv.paid, AmountRemaining: inv.remaining(), AttemptCount: len(inv.attempts),
		Attempted: len(inv.attempts) > 0, CollectionMethod: string(inv.fin.CollectionMethod),
		DueDate: notify.Unix(inv.fin.DueDate), NextPaymentAttempt: notify.Unix(next),
	}
	if last := inv.lastAttempt(); last != nil && last.Outcome == domain.Failed {
		o.LastDeclineCode = last.DeclineCode
	}
	return o
}

func (e *Engine) emailData(inv *invoice, next *time.Time) notify.EmailData {
	d := notify.EmailData{
		InvoiceID: inv.id, Amount: inv.remaining(), Currency: inv.fin.Currency, DueDate: inv.fin.DueDate,
		AttemptCount: len(inv.attempts), NextPaymentAttempt: next,
		PayURL: e.cfg.linkBase + "/pay/" + inv.id, UpdateCardURL: e.cfg.linkBase + "/pay/" + inv.id + "/card",
	}
	if c := e.st.customers[inv.fin.CustomerID]; c != nil {
		d.CustomerName = c.name
	}
	if last := inv.lastAttempt(); last != nil && last.Outcome == domain.Failed {
		d.DeclineCode = last.DeclineCode
	}
	return d
}

// addNote files n, starting from any outcome already recorded for id.
func (inv *invoice) addNote(n *note, id string) {
	if o, ok := inv.outcomes[id]; ok {
		n.done = o.done
		if o.attempts > 0 {
			n.attempts = o.attempts
			n.at = o.at.Add(notify.Backoff(o.attempts))
		}
	}
	inv.notes = append(inv.notes, n)
}
