package dunning

import (
	"reflect"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// handle applies one event from the subscription. Events the engine wrote
// itself were applied when written; they are recognised by their stream
// revision and skipped before decoding, which keeps catching up with its
// own writes cheap.
func (e *Engine) handle(rec *eventstore.RecordedEvent) error {
	if id, ok := strings.CutPrefix(rec.Stream, "invoice-"); ok {
		if inv := e.st.invoices[id]; inv != nil && inv.seenRev(rec.Revision) {
			return nil
		}
	} else if id, ok := strings.CutPrefix(rec.Stream, "subscription-"); ok {
		if s := e.st.subs[id]; s != nil && rec.Revision <= s.rev {
			return nil
		}
	}
	ev, err := domain.Decode(rec.Type, rec.Data)
	if err != nil {
		// Events of other kinds (or newer schemas) are not the engine's
		// concern; a decoding failure of a known type is logged, not fatal,
		// so one bad record cannot stop collection for everyone.
		e.log.Warn("dunning: skipping undecodable event", "stream", rec.Stream, "revision", rec.Revision, "type", rec.Type, "err", err)
		return nil
	}
	e.apply(ev, rec.Stream, rec.Revision)
	return nil
}

// seenRev reports whether the invoice stream's revision rev is applied.
func (inv *invoice) seenRev(rev uint64) bool { return inv.seen && rev <= inv.rev }

// apply folds one event into the state and schedules what it calls for.
func (e *Engine) apply(ev domain.Event, stream string, rev uint64) {
	s := e.st
	switch v := ev.(type) {
	case domain.CustomerRegistered:
		s.customers[v.CustomerID] = &customer{email: v.Email, name: v.Name, country: v.Country, tz: v.TimeZone}
	case domain.PaymentMethodAttached:
		c := s.card(v.PaymentMethodID)
		c.history.Observe(v)
		c.funding, c.country, c.customerID = v.Funding, v.Country, v.CustomerID
	case domain.PaymentMethodUpdated:
		c := s.card(v.PaymentMethodID)
		c.history.Observe(v)
		t := v.OccurredAt
		c.updatedAt = &t
		e.cardUpdated(v.PaymentMethodID, v.OccurredAt)
	case domain.CardActivityObserved:
		c := s.card(v.PaymentMethodID)
		c.activity = append(c.activity, v.OccurredAt)
		if len(c.activity) > 256 {
			c.activity = append(c.activity[:0], c.activity[len(c.activity)-128:]...)
		}
	case domain.ProductPresetAssigned:
		s.products[v.ProductID] = v.PresetID
	case domain.PresetCreated:
		s.presets[v.PresetID] = v.Spec
	case domain.PresetUpdated:
		s.presets[v.PresetID] = v.Spec
	case domain.DefaultPresetChanged:
		s.defaultPreset = v.PresetID
	case domain.CollectionSettingsChanged:
		s.settings = v.Settings
	case domain.SubscriptionStarted:
		s.subs[v.SubscriptionID] = &subscription{id: v.SubscriptionID, customerID: v.CustomerID, productID: v.ProductID,
			pmID: v.PaymentMethodID, status: domain.SubscriptionActive, rev: rev}
	case domain.SubscriptionPaused, domain.SubscriptionResumed, domain.SubscriptionCanceled, domain.SubscriptionMarkedPastDue:
		e.applySubscription(ev, rev)
	default:
		if id, ok := strings.CutPrefix(stream, "invoice-"); ok {
			inv := s.invoice(id)
			inv.seen, inv.rev = true, rev
			e.applyInvoice(inv, ev)
			e.rearm(inv)
		}
	}
}

func (e *Engine) applySubscription(ev domain.Event, rev uint64) {
	var subID, invID, reason string
	var status domain.SubscriptionStatus
	switch v := ev.(type) {
	case domain.SubscriptionPaused:
		subID, invID, reason, status = v.SubscriptionID, v.InvoiceID, v.Reason, domain.SubscriptionPausedSt
	case domain.SubscriptionResumed:
		subID, invID, reason, status = v.SubscriptionID, v.InvoiceID, v.Reason, domain.SubscriptionActive
	case domain.SubscriptionCanceled:
		subID, invID, reason, status = v.SubscriptionID, v.InvoiceID, v.Reason, domain.SubscriptionCanceledSt
	case domain.SubscriptionMarkedPastDue:
		subID, invID, status = v.SubscriptionID, v.InvoiceID, domain.SubscriptionPastDue
	}
	sub := e.st.subs[subID]
	if sub == nil {
		sub = &subscription{id: subID}
		e.st.subs[subID] = sub
	}
	sub.status, sub.rev = status, rev
	inv := e.st.invoices[invID]
	if inv == nil || inv.run == nil {
		return
	}
	r := inv.run
	switch ev.(type) {
	case domain.SubscriptionPaused:
		if reason == reasonDunning {
			r.pausedDuring = true
		} else {
			r.pausedAfter = true
		}
	case domain.SubscriptionResumed:
		r.resumed = true
	case domain.SubscriptionCanceled:
		r.canceled = true
	case domain.SubscriptionMarkedPastDue:
		r.markedPastDue = true
	}
	if !baseOf(ev).Backfill {
		e.subscriptionNote(inv, sub, ev, reason)
	}
	e.rearm(inv)
}

// baseOf returns the common fields of any catalogue event.
func baseOf(ev domain.Event) domain.Base {
	v := reflect.ValueOf(ev)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if f := v.FieldByName("Base"); f.IsValid() {
		if b, ok := f.Interface().(domain.Base); ok {
			return b
		}
	}
	return domain.Base{OccurredAt: ev.When()}
}

// cardUpdated marks the open invoices last charged on the card: new card
// data can restart retry eligibility (see stepCardUpdated).
func (e *Engine) cardUpdated(pmID string, at time.Time) {
	for id := range e.st.card(pmID).invoices {
		inv := e.st.invoices[id]
		if inv == nil || !inv.open() {
			delete(e.st.card(pmID).invoices, id)
			continue
		}
		inv.cardUpdatedAt = at
		e.rearm(inv)
	}
}
