package dunning

import (
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// handle applies one event from the subscription. Events the engine wrote
// itself were applied when decided; they are recognised by their stream
// revision (below the aggregate's version) and skipped before decoding,
// which keeps catching up with its own writes cheap.
func (e *Engine) handle(rec *eventstore.RecordedEvent) {
	if len(e.echo) > 0 && e.echoed(rec) {
		return
	}
	if id, ok := strings.CutPrefix(rec.Stream, "invoice-"); ok {
		if inv := e.st.invoices[id]; inv != nil && rec.Revision < uint64(inv.agg.Version) {
			return
		}
	} else if id, ok := strings.CutPrefix(rec.Stream, "subscription-"); ok {
		if s := e.st.subs[id]; s != nil && rec.Revision < uint64(s.Version) {
			return
		}
	}
	ev, err := domain.Decode(rec.Type, rec.Data)
	if err != nil {
		// One undecodable record must not stop collection for everyone;
		// it is logged and left to the projections to report.
		e.log.Warn("dunning: skipping undecodable event", "stream", rec.Stream, "revision", rec.Revision, "type", rec.Type, "err", err)
		return
	}
	e.apply(ev)
}

// apply folds one event into the state and re-arms what it touches.
func (e *Engine) apply(ev domain.Event) {
	s := e.st
	switch v := ev.(type) {
	case domain.CustomerRegistered:
		c := s.customer(v.CustomerID)
		c.email, c.name, c.country, c.tz = v.Email, v.Name, v.Country, v.TimeZone
	case domain.PaymentMethodAttached:
		c := s.card(v.PaymentMethodID)
		c.history.Observe(v)
		c.funding, c.country, c.customerID = v.Funding, v.Country, v.CustomerID
		if v.Default && !baseOf(ev).Backfill {
			// A new default card can restart retries of the customer's runs.
			for id := range s.customer(v.CustomerID).invoices {
				e.markCardChanged(id, v.PaymentMethodID, v.OccurredAt)
			}
		}
	case domain.PaymentMethodUpdated:
		c := s.card(v.PaymentMethodID)
		c.history.Observe(v)
		t := v.OccurredAt
		c.updatedAt = &t
		if !v.Backfill {
			for id := range c.invoices {
				e.markCardChanged(id, v.PaymentMethodID, v.OccurredAt)
			}
		}
	case domain.CardActivityObserved:
		c := s.card(v.PaymentMethodID)
		c.activity = append(c.activity, v.OccurredAt)
		if len(c.activity) > 256 {
			c.activity = append(c.activity[:0], c.activity[len(c.activity)-128:]...)
		}
	case domain.ProductCreated, domain.ProductPresetAssigned:
		id := productID(v)
		p := s.products[id]
		if p == nil {
			p = &domain.Product{}
			s.products[id] = p
		}
		p.Apply(ev)
	case domain.PresetCreated, domain.PresetUpdated, domain.PresetArchived:
		id := presetID(v)
		p := s.presets[id]
		if p == nil {
			p = &domain.Preset{}
			s.presets[id] = p
		}
		p.Apply(ev)
	case domain.DefaultPresetChanged, domain.CollectionSettingsChanged:
		s.settings.Apply(ev)
		e.settingsChanged()
	case domain.SubscriptionStarted, domain.SubscriptionPaused, domain.SubscriptionResumed,
		domain.SubscriptionCanceled, domain.SubscriptionMarkedPastDue:
		e.applySubscription(ev)
	default:
		if id, ok := strings.CutPrefix(ev.StreamName(), "invoice-"); ok {
			inv := s.invoice(id)
			e.applyInvoice(inv, ev)
			if inv != e.acting {
				e.rearm(inv) // act re-arms the invoice it works on when done
			}
		}
	}
}

func productID(ev domain.Event) string {
	if v, ok := ev.(domain.ProductCreated); ok {
		return v.ProductID
	}
	return ev.(domain.ProductPresetAssigned).ProductID
}

func presetID(ev domain.Event) string {
	switch v := ev.(type) {
	case domain.PresetCreated:
		return v.PresetID
	case domain.PresetUpdated:
		return v.PresetID
	}
	return ev.(domain.PresetArchived).PresetID
}

// settingsChanged re-arms every open invoice: the settings' 30/60/90-day
// uncollectible mark of invoices not in a run follows the current
// settings. Settings change rarely, so the scan is affordable.
func (e *Engine) settingsChanged() {
	for _, inv := range e.st.invoices {
		if inv.open() {
			e.rearm(inv)
		}
	}
}

func (e *Engine) markCardChanged(invoiceID, pmID string, at time.Time) {
	inv := e.st.invoices[invoiceID]
	if inv == nil || !inv.open() || !inv.agg.Run.Active() {
		return
	}
	inv.cardChanged, inv.cardChangedAt = pmID, at
	e.rearm(inv)
}

func (e *Engine) applySubscription(ev domain.Event) {
	id := strings.TrimPrefix(ev.StreamName(), "subscription-")
	sub := e.st.subscription(id)
	sub.Apply(ev)
	invID, reason := subInvoice(ev)
	inv := e.st.invoices[invID]
	if inv == nil || baseOf(ev).Backfill {
		return
	}
	if _, started := ev.(domain.SubscriptionStarted); !started {
		e.subscriptionNote(inv, sub, ev, reason)
		if inv != e.acting {
			e.rearm(inv)
		}
	}
}

// subInvoice returns the invoice a subscription event names and its reason.
func subInvoice(ev domain.Event) (invoiceID, reason string) {
	switch v := ev.(type) {
	case domain.SubscriptionPaused:
		return v.InvoiceID, v.Reason
	case domain.SubscriptionResumed:
		return v.InvoiceID, v.Reason
	case domain.SubscriptionCanceled:
		return v.InvoiceID, v.Reason
	case domain.SubscriptionMarkedPastDue:
		return v.InvoiceID, "past_due"
	}
	return "", ""
}

// applyInvoice folds an event of the invoice's own stream into inv and
// notes the webhooks it calls for.
func (e *Engine) applyInvoice(inv *invoice, ev domain.Event) {
	inv.agg.Apply(ev)
	b := baseOf(ev)
	inv.live = !b.Backfill
	if b.OccurredAt.After(inv.lastAt) {
		inv.lastAt = b.OccurredAt
	}
	switch v := ev.(type) {
	case domain.InvoiceFinalized:
		e.st.customer(v.CustomerID).invoices[inv.id] = true
	case domain.PaymentAttempted:
		if !e.reloading { // a re-read must not count the card's attempts twice
			c := e.st.card(v.PaymentMethodID)
			c.history.Observe(v)
			c.invoices[inv.id] = true
			if len(c.history.Attempts) > 64 {
				c.history.Trim(v.OccurredAt)
			}
		}
	case domain.RetryScheduled:
		if !b.Backfill {
			at := v.At
			e.failureNote(inv, v.OccurredAt, &at)
		}
	case domain.RetryBlocked, domain.DunningExhausted:
		if !b.Backfill {
			e.failureNote(inv, b.OccurredAt, nil)
		}
	case domain.InvoicePaid:
		if !b.Backfill {
			e.invoiceNote(inv, notifyPaid, v.OccurredAt)
		}
	case domain.InvoiceMarkedUncollectible:
		if !b.Backfill {
			e.invoiceNote(inv, notifyUncollectible, v.OccurredAt)
		}
	case domain.ReminderSent:
		e.recordOutcome(inv, v.MessageID, 0, v.OccurredAt, true)
	case domain.ReminderFailed:
		e.recordOutcome(inv, v.MessageID, v.Attempts, v.OccurredAt, v.Attempts >= maxSendAttempts)
	case domain.WebhookSent:
		e.recordOutcome(inv, v.WebhookID, v.Attempts, v.OccurredAt, v.Delivered || v.Attempts >= maxSendAttempts)
	}
	if !inv.open() {
		for _, m := range []map[string]bool{e.st.customer(inv.agg.CustomerID).invoices, e.st.card(inv.agg.PaymentMethodID).invoices} {
			delete(m, inv.id)
		}
	}
}

// baseOf returns the common fields of any catalogue event. The field's
// index is looked up once per type, so this costs no allocation.
func baseOf(ev domain.Event) domain.Base {
	v := reflect.ValueOf(ev)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	b := domain.Base{OccurredAt: ev.When()}
	if i := baseIndex(v.Type()); i >= 0 {
		b.Backfill = v.Field(i).FieldByIndex(backfillIndex).Bool()
	}
	return b
}

var (
	baseFields    sync.Map // reflect.Type → int (-1: no Base)
	backfillIndex = func() []int {
		f, _ := reflect.TypeFor[domain.Base]().FieldByName("Backfill")
		return f.Index
	}()
)

func baseIndex(t reflect.Type) int {
	if i, ok := baseFields.Load(t); ok {
		return i.(int)
	}
	i := -1
	if t.Kind() == reflect.Struct {
		if f, ok := t.FieldByName("Base"); ok && f.Type == reflect.TypeFor[domain.Base]() && len(f.Index) == 1 {
			i = f.Index[0]
		}
	}
	baseFields.Store(t, i)
	return i
}
