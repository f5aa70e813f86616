package dunning

import (
	"fmt"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// Webhooks owed are notes, created while applying their trigger event (so
// a replay recreates them) and closed by the WebhookSent recorded after a
// delivery. Emails are the invoice aggregate's reminders (scheduled by the
// domain's decisions); their sends and failures are recorded as
// ReminderSent and ReminderFailed.

// maxSendAttempts is how many times a send is tried before it is recorded
// as given up.
const maxSendAttempts = notify.MaxAttempts

// maxNoteAge bounds how late a webhook may first be owed: a trigger older
// than this when it is applied (for example when webhooks are first
// configured on an old ledger) owes nothing, rather than replaying a year
// of history to the integrator.
const maxNoteAge = 72 * time.Hour

type invoiceNoteKind int

const (
	notifyPaid invoiceNoteKind = iota
	notifyUncollectible
)

// webhookNote owes the integrator a webhook event about obj.
func (e *Engine) webhookNote(inv *invoice, key, typ string, created time.Time, obj any) {
	if !e.notifier.WebhooksEnabled() || e.clock.Now().Sub(created) > maxNoteAge {
		return
	}
	key = inv.id + "/webhook/" + key
	for _, n := range inv.notes {
		if n.key == key {
			return
		}
	}
	ev, err := notify.NewEvent(webhookID(key), typ, created, obj)
	if err != nil {
		e.log.Error("dunning: cannot encode webhook", "key", key, "err", err)
		return
	}
	n := &note{key: key, at: created, event: ev}
	if o, ok := inv.outcomes[ev.ID]; ok {
		n.done, n.attempts = o.done, o.attempts
		if o.attempts > 0 {
			n.at = o.at.Add(notify.Backoff(o.attempts))
		}
	}
	inv.notes = append(inv.notes, n)
}

// failureNote owes invoice.payment_failed once the engine has decided what
// follows a failed automatic attempt: next is the retry, nil when none is
// planned (blocked or exhausted). One per attempt number.
func (e *Engine) failureNote(inv *invoice, at time.Time, next *time.Time) {
	last := inv.agg.LastAttempt
	if last == nil || last.Outcome != domain.Failed {
		return
	}
	e.webhookNote(inv, "payment_failed/"+strconv.Itoa(last.AttemptNumber), notify.EventInvoicePaymentFailed, at, e.invoiceObject(inv, next))
}

func (e *Engine) invoiceNote(inv *invoice, kind invoiceNoteKind, at time.Time) {
	switch kind {
	case notifyPaid:
		e.webhookNote(inv, "paid", notify.EventInvoicePaid, at, e.invoiceObject(inv, nil))
	case notifyUncollectible:
		e.webhookNote(inv, "uncollectible", notify.EventInvoiceMarkedUncollectible, at, e.invoiceObject(inv, nil))
	}
}

// subscriptionNote owes a customer.subscription.updated webhook.
func (e *Engine) subscriptionNote(inv *invoice, sub *domain.Subscription, ev domain.Event, reason string) {
	obj := notify.Subscription{ID: sub.ID, Object: "subscription", Customer: sub.CustomerID,
		Status: string(sub.Status), LatestInvoice: inv.id}
	if sub.Status == domain.SubscriptionCanceledSt {
		obj.CancellationReason = reason
	}
	key := fmt.Sprintf("subscription/%s/%s/%s", sub.ID, ev.EventType(), reason)
	e.webhookNote(inv, key, notify.EventSubscriptionUpdated, ev.When(), obj)
}

// recordOutcome folds a recorded send (done) or failure into the invoice.
func (e *Engine) recordOutcome(inv *invoice, id string, attempts int, at time.Time, done bool) {
	o := inv.outcomes[id]
	o.done = o.done || done
	if attempts > o.attempts {
		o.attempts, o.at = attempts, at
	}
	inv.outcomes[id] = o
	for _, n := range inv.notes {
		if n.event.ID == id {
			n.done, n.attempts = o.done, o.attempts
			if o.attempts > 0 {
				n.at = o.at.Add(notify.Backoff(o.attempts))
			}
		}
	}
}

// reminderID is the stable Message-ID of a scheduled reminder's email.
func reminderID(inv *invoice, r domain.Reminder) string {
	return messageID(inv.id + "/email/" + string(r.Kind) + "@" + strconv.FormatInt(r.At.Unix(), 10))
}

// invoiceObject is the Stripe-shaped invoice of a webhook.
func (e *Engine) invoiceObject(inv *invoice, next *time.Time) notify.Invoice {
	a := inv.agg
	o := notify.Invoice{
		ID: inv.id, Object: "invoice", Customer: a.CustomerID, Subscription: a.SubscriptionID,
		Status: string(a.Status), Currency: a.Currency, AmountDue: a.AmountDue,
		AmountPaid: a.AmountPaid, AmountRemaining: a.AmountRemaining, AttemptCount: a.AttemptCount,
		Attempted: a.AttemptCount > 0, CollectionMethod: string(a.CollectionMethod),
		DueDate: notify.Unix(a.DueDate), NextPaymentAttempt: notify.Unix(next),
	}
	if last := a.LastAttempt; last != nil && last.Outcome == domain.Failed {
		o.LastDeclineCode = last.DeclineCode
	}
	return o
}

func (e *Engine) emailData(inv *invoice) notify.EmailData {
	a := inv.agg
	d := notify.EmailData{
		InvoiceID: inv.id, Amount: a.AmountRemaining, Currency: a.Currency, DueDate: a.DueDate,
		AttemptCount: a.AttemptCount, NextPaymentAttempt: a.NextPaymentAttempt,
		PayURL: e.cfg.linkBase + "/pay/" + inv.id, UpdateCardURL: e.cfg.linkBase + "/pay/" + inv.id + "/card",
	}
	if c := e.st.customers[a.CustomerID]; c != nil {
		d.CustomerName = c.name
	}
	if last := a.LastAttempt; last != nil && last.Outcome == domain.Failed {
		d.DeclineCode = last.DeclineCode
	}
	return d
}
