package readmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections/eventjson"
)

// typeRetryBlocked is the RetryBlocked event (no retry allowed on the
// card until a new one arrives).
const typeRetryBlocked = "RetryBlocked"

// Invoices projects invoice events into Invoice records.
type Invoices struct {
	base
	t *table[Invoice, *Invoice]
}

// NewInvoices returns the invoices projection over db.
func NewInvoices(db *DB) *Invoices {
	p := &Invoices{t: newTable[Invoice](kindInvoice, defaultMaxCached, 4<<20)}
	p.base = base{db: db, name: NameInvoices, kinds: []string{kindInvoice}, tables: []flusher{p.t}}
	return p
}

// Apply implements projections.Projection.
func (p *Invoices) Apply(ctx context.Context, events []eventstore.RecordedEvent) error {
	return p.apply(ctx, events, p.handle)
}

func (p *Invoices) handle(ev *eventstore.RecordedEvent) error {
	switch ev.Type {
	case domain.TypeInvoiceCreated, domain.TypeInvoiceFinalized, domain.TypePaymentAttempted,
		domain.TypePaymentSucceeded, domain.TypePartialPaymentReceived, domain.TypeInvoicePaid,
		domain.TypeInvoiceReconciled, domain.TypeDunningStarted, domain.TypeRetryScheduled,
		domain.TypeReminderScheduled, domain.TypeReminderSent, domain.TypeDunningExhausted,
		domain.TypeInvoiceMarkedUncollectible, domain.TypeInvoiceWrittenOff,
		domain.TypeInvoiceLeftOverdue, domain.TypeInvoiceVoided, typeRetryBlocked:
	default:
		return nil
	}
	f, err := p.decode(ev)
	if err != nil {
		return err
	}
	if len(f.InvoiceID) == 0 {
		return fmt.Errorf("%s at %d: invoice_id: must not be empty", ev.Type, ev.Position.Commit)
	}
	e, err := p.t.get(p.db, p.wait, f.InvoiceID)
	if err != nil {
		return err
	}
	r := &e.cur
	if r.applied > ev.Position.Commit {
		return nil // already reflected: replays change nothing
	}
	if r.ID == "" {
		*r = Invoice{ID: e.id, seq: ev.Position.Commit, Created: f.OccurredAt.UTC(), Status: domain.InvoiceDraft,
			Dunning: Dunning{State: DunningNone}}
	}
	if err := applyInvoice(r, ev.Type, f, p.names); err != nil {
		return fmt.Errorf("%s at %d in %s: %w", ev.Type, ev.Position.Commit, ev.Stream, err)
	}
	r.applied = ev.Position.Commit + 1
	r.UpdatedAt = f.OccurredAt.UTC()
	p.t.touch(e)
	return nil
}

// applyInvoice changes r by one event. Events were validated by the
// Invoice aggregate when appended; the projection records them, keeping
// paid and void final so that a late event cannot reopen an invoice.
func applyInvoice(r *Invoice, typ string, f *eventjson.Fields, in interner) error {
	at := f.OccurredAt.UTC()
	switch typ {
	case domain.TypeInvoiceCreated:
		setStr(&r.Customer, f.CustomerID)
		setStr(&r.Subscription, f.SubscriptionID)
	case domain.TypeInvoiceFinalized:
		setStr(&r.Customer, f.CustomerID)
		setStr(&r.Subscription, f.SubscriptionID)
		in.set(&r.Product, f.ProductID)
		setStr(&r.PaymentMethod, f.PaymentMethodID)
		in.set(&r.Currency, f.Currency)
		in.set(&r.BillingReason, f.BillingReason)
		r.CollectionMethod = domain.CollectionMethod(in.str(f.CollectionMethod))
		r.AutoAdvance = f.AutoAdvance
		r.AmountDue = f.Amount
		r.DueDate = optTime(f.DueDate)
		r.FinalizedAt = new(at)
		setStatus(r, domain.InvoiceOpen)
		// As the Invoice aggregate: an auto-advancing automatic-charge
		// invoice with a card is attempted on finalization.
		if r.CollectionMethod == domain.ChargeAutomatically && r.AutoAdvance && r.PaymentMethod != "" &&
			r.AttemptCount == 0 && r.AmountDue > r.AmountPaid {
			r.NextPaymentAttempt = new(at)
		}
	case domain.TypePaymentAttempted:
		r.AttemptCount++
		r.Attempted = true
		r.LastAttemptAt = new(at)
		switch domain.Initiator(f.Initiator) {
		case domain.InitiatorInitial, domain.InitiatorRetry:
			r.NextPaymentAttempt = nil // the scheduled attempt has happened
		}
		if len(f.PaymentMethodID) > 0 {
			setStr(&r.PaymentMethod, f.PaymentMethodID)
		}
		if domain.Outcome(f.Outcome) == domain.Failed {
			in.set(&r.LastDeclineCode, f.DeclineCode)
		}
	case domain.TypePaymentSucceeded, domain.TypePartialPaymentReceived:
		r.AmountPaid += f.Amount
	case domain.TypeInvoicePaid:
		r.AmountPaid = max(r.AmountPaid, f.AmountPaid)
		if setStatus(r, domain.InvoicePaidStatus) {
			r.PaidAt = new(at)
			// A payment recovers the run: one still running ends now; one
			// that already ended (exhausted, or stopped when the invoice was
			// marked uncollectible) keeps its end, as the aggregate's does.
			switch r.Dunning.State {
			case DunningActive:
				r.Dunning.State, r.Dunning.EndedAt = DunningRecovered, new(at)
			case DunningExhausted, DunningStopped:
				r.Dunning.State = DunningRecovered
			}
			closeInvoice(r, at)
		}
	case domain.TypeInvoiceReconciled:
		r.AmountCredited += f.CreditAmount
	case domain.TypeDunningStarted:
		var spec domain.PresetSpec
		if err := json.Unmarshal(f.Preset, &spec); err != nil {
			return fmt.Errorf("preset: %w", err)
		}
		// The run's own fields start over; reminders and the overdue
		// decision belong to the invoice and are kept.
		d := &r.Dunning
		d.State, d.PresetID, d.Preset, d.StartedAt, d.EndedAt = DunningActive, in.str(f.PresetID), &spec, new(at), nil
		d.RetriesScheduled = 0
	case domain.TypeRetryScheduled:
		npa := f.At.UTC()
		r.NextPaymentAttempt = new(npa)
		r.Dunning.RetriesScheduled++
		if len(f.PaymentMethodID) > 0 {
			setStr(&r.PaymentMethod, f.PaymentMethodID)
		}
	case typeRetryBlocked:
		r.NextPaymentAttempt = nil
	case domain.TypeReminderScheduled:
		r.Dunning.schedule(f.Kind, f.At.UTC())
	case domain.TypeReminderSent:
		r.Dunning.sent(f.Kind, f.ScheduledAt)
	case domain.TypeDunningExhausted:
		r.NextPaymentAttempt = nil
		if r.Dunning.State == DunningActive {
			r.Dunning.State, r.Dunning.EndedAt = DunningExhausted, new(at)
		}
	case domain.TypeInvoiceMarkedUncollectible:
		if setStatus(r, domain.InvoiceUncollectible) {
			r.UncollectibleAt = new(at)
			closeInvoice(r, at)
		}
	case domain.TypeInvoiceWrittenOff:
		r.AmountWrittenOff += f.Amount
		r.NextPaymentAttempt = nil
	case domain.TypeInvoiceLeftOverdue:
		r.Dunning.LeftOverdue = true
		r.Dunning.UncollectibleAt = optTime(f.UncollectibleAt)
	case domain.TypeInvoiceVoided:
		if setStatus(r, domain.InvoiceVoid) {
			r.VoidedAt = new(at)
			closeInvoice(r, at)
		}
	}
	r.AmountRemaining = max(0, r.AmountDue-r.AmountPaid-r.AmountCredited)
	if r.Status == domain.InvoicePaidStatus {
		r.AmountRemaining = 0
	}
	return nil
}

// closeInvoice ends what is pending on a paid, void or uncollectible
// invoice, as the Invoice aggregate does: no more attempts, reminders or
// uncollectible timer; a running dunning run stops.
func closeInvoice(r *Invoice, at time.Time) {
	r.NextPaymentAttempt = nil
	r.Dunning.NextReminderAt, r.Dunning.NextReminderKind, r.Dunning.pending = nil, "", nil
	r.Dunning.UncollectibleAt = nil
	if r.Dunning.State == DunningActive {
		r.Dunning.State, r.Dunning.EndedAt = DunningStopped, new(at)
	}
}

// setStatus moves r to status unless r is already final (paid, void);
// it reports whether the status changed.
func setStatus(r *Invoice, status domain.InvoiceStatus) bool {
	if r.Status == status || r.Status == domain.InvoicePaidStatus || r.Status == domain.InvoiceVoid {
		return false
	}
	r.Status = status
	return true
}

// setStr assigns b to *s, allocating only when the value changes.
func setStr(s *string, b []byte) {
	if *s != string(b) {
		*s = string(b)
	}
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
