package dunning

import (
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// applyInvoice folds an event of the invoice's own stream into inv.
func (e *Engine) applyInvoice(inv *invoice, ev domain.Event) {
	b := baseOf(ev)
	inv.live = !b.Backfill
	if b.OccurredAt.After(inv.lastAt) {
		inv.lastAt = b.OccurredAt
	}
	switch v := ev.(type) {
	case domain.InvoiceFinalized:
		inv.finalized, inv.fin, inv.status = true, v, domain.InvoiceOpen
		if !b.Backfill && v.CollectionMethod == domain.SendInvoice && e.st.settings.EmailFinalizedInvoices {
			e.emailNote(inv, "finalized", domain.ReminderInvoiceFinalized, v.OccurredAt, nil, false)
		}
	case domain.PaymentAttempted:
		inv.attempts = append(inv.attempts, v)
		if !e.reloading { // a re-read must not count the card's attempts twice
			c := e.st.card(v.PaymentMethodID)
			c.history.Observe(v)
			c.invoices[inv.id] = true
			if len(c.history.Attempts) > 64 {
				c.history.Trim(v.OccurredAt)
			}
		}
	case domain.PaymentSucceeded:
		inv.paid += v.Amount
	case domain.PartialPaymentReceived:
		inv.paid += v.Amount
	case domain.InvoicePaid:
		inv.status = domain.InvoicePaidStatus
		if !b.Backfill {
			e.webhookNote(inv, "paid", notify.EventInvoicePaid, v.OccurredAt, e.invoiceObject(inv, nil))
		}
	case domain.DunningStarted:
		inv.run = &run{started: v, firstAttempt: len(inv.attempts)}
	case domain.RetryScheduled:
		if inv.run != nil {
			inv.run.next = &v
			inv.run.exhausted = nil // a card update can resume an ended run
		}
		if !b.Backfill {
			at := v.At
			e.failureNotes(inv, v.OccurredAt, &at)
		}
	case domain.DunningExhausted:
		if inv.run != nil {
			inv.run.exhausted = &v
		}
		if !b.Backfill {
			e.failureNotes(inv, v.OccurredAt, nil)
		}
	case domain.ReminderScheduled:
		inv.reminders[reminderKey(v.Kind, v.At)] = v
		if !b.Backfill {
			e.emailNote(inv, reminderKey(v.Kind, v.At), v.Kind, v.At, nil, true)
		}
	case domain.ReminderSent:
		inv.remindersSent++
		e.noteDone(inv, v.MessageID)
	case domain.ReminderFailed:
		e.noteFailed(inv, v.MessageID, v.Attempts, v.OccurredAt)
	case domain.WebhookSent:
		if v.Delivered {
			e.noteDone(inv, v.WebhookID)
		} else {
			e.noteFailed(inv, v.WebhookID, v.Attempts, v.OccurredAt)
		}
	case domain.InvoiceMarkedUncollectible:
		inv.status = domain.InvoiceUncollectible
		if !b.Backfill {
			e.webhookNote(inv, "uncollectible", notify.EventInvoiceMarkedUncollectible, v.OccurredAt, e.invoiceObject(inv, nil))
		}
	case domain.InvoiceWrittenOff:
		inv.writtenOff = true
	case domain.InvoiceLeftOverdue:
		inv.overdue = &v
	case domain.InvoiceVoided:
		inv.status = domain.InvoiceVoid
	}
}
