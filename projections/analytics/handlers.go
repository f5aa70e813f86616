package analytics

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections/eventjson"
)

// handle turns one event into rows, updating the state that enriches
// later rows.
func (p *Projection) handle(ev *eventstore.RecordedEvent) error {
	h, ok := handlers[ev.Type]
	if !ok {
		return nil
	}
	if err := p.fields.Decode(ev.Data); err != nil {
		return fmt.Errorf("%s at %d in %s: %w", ev.Type, ev.Position.Commit, ev.Stream, err)
	}
	if err := h(p, ev.Position.Commit, &p.fields); err != nil {
		return fmt.Errorf("%s at %d in %s: %w", ev.Type, ev.Position.Commit, ev.Stream, err)
	}
	return nil
}

type handler func(p *Projection, pos uint64, f *eventjson.Fields) error

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		domain.TypeCustomerRegistered:         (*Projection).customerRegistered,
		domain.TypePaymentMethodAttached:      paymentMethod("attached"),
		domain.TypePaymentMethodUpdated:       paymentMethod("updated"),
		domain.TypeInvoiceCreated:             (*Projection).invoiceCreated,
		domain.TypeInvoiceFinalized:           (*Projection).invoiceFinalized,
		domain.TypePaymentAttempted:           (*Projection).paymentAttempted,
		domain.TypePartialPaymentReceived:     invoiceEvent("partial_payment"),
		domain.TypeInvoicePaid:                invoiceEvent("paid"),
		domain.TypeInvoiceReconciled:          invoiceEvent("reconciled"),
		domain.TypeDunningExhausted:           invoiceEvent("dunning_exhausted"),
		domain.TypeInvoiceMarkedUncollectible: invoiceEvent("uncollectible"),
		domain.TypeInvoiceWrittenOff:          invoiceEvent("written_off"),
		domain.TypeInvoiceLeftOverdue:         invoiceEvent("left_overdue"),
		domain.TypeInvoiceVoided:              invoiceEvent("voided"),
		domain.TypeDunningStarted:             (*Projection).dunningStarted,
		domain.TypeRetryScheduled:             (*Projection).retryScheduled,
		domain.TypeReminderScheduled:          reminder("scheduled"),
		domain.TypeReminderSent:               reminder("sent"),
		domain.TypeSubscriptionStarted:        subscriptionChange("started"),
		domain.TypeSubscriptionPaused:         subscriptionChange("paused"),
		domain.TypeSubscriptionResumed:        subscriptionChange("resumed"),
		domain.TypeSubscriptionCanceled:       subscriptionChange("canceled"),
		domain.TypeSubscriptionMarkedPastDue:  subscriptionChange("past_due"),
	}
}

// nstr is a nullable string column: empty is NULL.
func nstr(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// ntime is a nullable timestamp column.
func ntime(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func need(field string, v []byte) error {
	if len(v) == 0 {
		return fmt.Errorf("%s: must not be empty", field)
	}
	return nil
}

func (p *Projection) customerRegistered(pos uint64, f *eventjson.Fields) error {
	if err := need("customer_id", f.CustomerID); err != nil {
		return err
	}
	c := &customer{country: p.st.intern(f.Country), tz: p.st.intern(f.TimeZone)}
	c.loc = p.st.location(c.tz)
	id := string(f.CustomerID)
	p.st.customers[id] = c
	return p.appendRow("customers", pos, id, nstr(c.country), nstr(c.tz), ntime(f.OccurredAt))
}

func paymentMethod(event string) handler {
	return func(p *Projection, pos uint64, f *eventjson.Fields) error {
		if err := need("payment_method_id", f.PaymentMethodID); err != nil {
			return err
		}
		id := string(f.PaymentMethodID)
		if event == "attached" {
			p.st.cards[id] = &card{network: p.st.intern(f.Network), funding: p.st.intern(f.Funding), country: p.st.intern(f.Country)}
		}
		return p.appendRow("payment_methods", pos, id, nstr(string(f.CustomerID)), event,
			nstr(p.st.intern(f.Network)), nstr(p.st.intern(f.Funding)), nstr(p.st.intern(f.Country)),
			int32(f.ExpMonth), int32(f.ExpYear), nstr(p.st.intern(f.Source)), f.NewNumber, ntime(f.OccurredAt))
	}
}

// invoiceOf returns the invoice's state, creating it on first sight.
func (p *Projection) invoiceOf(id []byte) *invoice {
	if inv, ok := p.st.invoices[string(id)]; ok {
		return inv
	}
	inv := &invoice{}
	p.st.invoices[string(id)] = inv
	return inv
}

func (p *Projection) invoiceCreated(_ uint64, f *eventjson.Fields) error {
	if err := need("invoice_id", f.InvoiceID); err != nil {
		return err
	}
	inv := p.invoiceOf(f.InvoiceID)
	inv.customer, inv.subscription = string(f.CustomerID), string(f.SubscriptionID)
	return nil
}

func (p *Projection) invoiceFinalized(pos uint64, f *eventjson.Fields) error {
	if err := need("invoice_id", f.InvoiceID); err != nil {
		return err
	}
	inv := p.invoiceOf(f.InvoiceID)
	inv.customer, inv.subscription, inv.product = string(f.CustomerID), string(f.SubscriptionID), string(f.ProductID)
	inv.amount = f.Amount
	return p.appendRow("invoices", pos, string(f.InvoiceID), nstr(inv.customer), nstr(inv.subscription), nstr(inv.product),
		nstr(string(f.PaymentMethodID)), f.Amount, nstr(p.st.intern(f.Currency)), ntime(f.DueDate),
		nstr(p.st.intern(f.CollectionMethod)), f.AutoAdvance, nstr(p.st.intern(f.BillingReason)), ntime(f.OccurredAt), f.Backfill)
}

// paymentAttempted writes one attempt row with the customer's local time,
// the card's attributes and the recovery case it belongs to: the case
// starts at the invoice's first failure and is recovered by the first
// success after it.
func (p *Projection) paymentAttempted(pos uint64, f *eventjson.Fields) error {
	if err := need("invoice_id", f.InvoiceID); err != nil {
		return err
	}
	inv := p.invoiceOf(f.InvoiceID)
	cust := p.st.customers[inv.customer]
	if cust == nil {
		cust = &customer{loc: time.UTC}
	}
	crd := p.st.cards[string(f.PaymentMethodID)]
	if crd == nil {
		crd = &card{}
	}
	network, funding := p.st.intern(f.Network), p.st.intern(f.Funding)
	if network == "" {
		network = crd.network
	}
	if funding == "" {
		funding = crd.funding
	}
	code := p.st.intern(f.DeclineCode)
	category := ""
	if info, ok := domain.Decline(code); ok {
		category = string(info.Category)
	} else if code != "" {
		category = "unknown"
	}
	failed := domain.Outcome(f.Outcome) == domain.Failed
	firstFailure := failed && inv.caseStarted.IsZero()
	if firstFailure {
		inv.caseStarted = f.OccurredAt.UTC()
		inv.caseCode, inv.caseCategory = code, category
		inv.caseNetwork, inv.caseFunding, inv.caseCtr = network, funding, crd.country
	}
	inCase := !inv.caseStarted.IsZero()
	isRetry := inCase && !firstFailure
	recovers := isRetry && !failed && !inv.recovered
	if inCase {
		inv.caseAttempts++
		inv.recovered = inv.recovered || recovers
	}
	local := f.OccurredAt.In(cust.loc)
	caseVals := []driver.Value{nil, nil, nil, nil, nil, nil, nil}
	if inCase {
		caseVals = []driver.Value{inv.caseStarted, nstr(inv.caseCode), nstr(inv.caseCategory), nstr(inv.caseNetwork),
			nstr(inv.caseFunding), nstr(inv.caseCtr), int32(inv.caseAttempts)}
	}
	p.row = append(p.row[:0], pos, string(f.InvoiceID), nstr(inv.customer), nstr(inv.subscription), nstr(inv.product),
		nstr(inv.preset), nstr(string(f.PaymentMethodID)), int32(f.AttemptNumber), f.Amount, nstr(p.st.intern(f.Currency)),
		nstr(p.st.intern(f.Outcome)), nstr(code), nstr(category), nstr(p.st.intern(f.NetworkDeclineCode)),
		nstr(p.st.intern(f.AdviceCode)), nstr(network), nstr(funding), nstr(crd.country), nstr(cust.country),
		nstr(cust.tz), nstr(p.st.intern(f.Initiator)), nstr(p.st.intern(f.Source)), f.Propensity, nstr(string(f.ChargeID)),
		ntime(f.OccurredAt), int8(local.Hour()), int8(local.Weekday()), f.Backfill)
	p.row = append(p.row, caseVals...)
	p.row = append(p.row, firstFailure, isRetry, recovers)
	return p.appendRow("payment_attempts", p.row...)
}

func invoiceEvent(event string) handler {
	return func(p *Projection, pos uint64, f *eventjson.Fields) error {
		if err := need("invoice_id", f.InvoiceID); err != nil {
			return err
		}
		id := string(f.InvoiceID)
		inv, known := p.st.invoices[id]
		if !known {
			inv = &invoice{}
		}
		amount := f.Amount
		switch event {
		case "paid":
			amount = f.AmountPaid
		case "reconciled":
			amount = f.CreditAmount
		case "uncollectible", "voided", "left_overdue", "dunning_exhausted":
			amount = 0
		}
		if known && (event == "paid" || event == "voided") {
			p.st.closed = append(p.st.closed, id)
		}
		return p.appendRow("invoice_events", pos, id, event, amount, nstr(inv.customer), nstr(inv.product),
			ntime(inv.caseStarted), ntime(f.OccurredAt))
	}
}

func (p *Projection) dunningStarted(pos uint64, f *eventjson.Fields) error {
	if err := need("invoice_id", f.InvoiceID); err != nil {
		return err
	}
	var spec domain.PresetSpec
	if err := json.Unmarshal(f.Preset, &spec); err != nil {
		return fmt.Errorf("preset: %w", err)
	}
	inv := p.invoiceOf(f.InvoiceID)
	inv.preset = string(f.PresetID)
	maxRetries := spec.SmartMaxRetries
	if !spec.SmartRetries {
		maxRetries = len(spec.Schedule)
	}
	sched := make([]string, len(spec.Schedule))
	for i, d := range spec.Schedule {
		sched[i] = strconv.Itoa(d)
	}
	return p.appendRow("dunning_runs", pos, string(f.InvoiceID), nstr(string(f.SubscriptionID)), nstr(inv.customer),
		nstr(inv.product), nstr(inv.preset), nstr(spec.Name), spec.RetriesEnabled, spec.SmartRetries, int32(maxRetries),
		nstr(strings.Join(sched, ",")), nstr(string(spec.DuringRecovery)), nstr(string(spec.AfterSub)),
		nstr(string(spec.AfterInvoice)), int32(spec.OverdueDays), ntime(f.OccurredAt))
}

func (p *Projection) retryScheduled(pos uint64, f *eventjson.Fields) error {
	if err := need("invoice_id", f.InvoiceID); err != nil {
		return err
	}
	return p.appendRow("retries_scheduled", pos, string(f.InvoiceID), int32(f.AttemptNumber), ntime(f.At),
		nstr(p.st.intern(f.Source)), nstr(p.st.intern(f.ModelVersion)), f.Score, f.Propensity, ntime(f.OccurredAt))
}

func reminder(event string) handler {
	return func(p *Projection, pos uint64, f *eventjson.Fields) error {
		if err := need("invoice_id", f.InvoiceID); err != nil {
			return err
		}
		cust := ""
		if inv, ok := p.st.invoices[string(f.InvoiceID)]; ok {
			cust = inv.customer
		}
		return p.appendRow("reminders", pos, string(f.InvoiceID), nstr(cust), event, nstr(p.st.intern(f.Kind)),
			nstr(p.st.intern(f.Channel)), ntime(f.At), ntime(f.OccurredAt))
	}
}

func subscriptionChange(change string) handler {
	return func(p *Projection, pos uint64, f *eventjson.Fields) error {
		if err := need("subscription_id", f.SubscriptionID); err != nil {
			return err
		}
		id := string(f.SubscriptionID)
		sub, ok := p.st.subscriptions[id]
		if !ok || change == "started" {
			sub = &subscription{customer: string(f.CustomerID), product: string(f.ProductID),
				currency: p.st.intern(f.Currency), amount: f.Amount}
			p.st.subscriptions[id] = sub
		}
		return p.appendRow("subscription_changes", pos, id, nstr(sub.customer), nstr(sub.product), change,
			nstr(p.st.intern(f.Reason)), nstr(string(f.InvoiceID)), sub.amount, nstr(sub.currency), ntime(f.OccurredAt))
	}
}
