package api

import (
	"fmt"
	"sort"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// A ledger command is what a billing system tells Recoup: a fact about an
// invoice, a payment attempt or a card. Each becomes domain events on one
// stream. Commands with a natural identity (an invoice is finalized once,
// an attempt number happens once) derive their event IDs from it, so a
// re-sent command appends nothing even under a new Idempotency-Key; the
// others derive them from the Idempotency-Key, or else from their content.
type command interface {
	validator
	// kind is the command's name in paths and import files.
	kind() string
	// identity is the natural identity, "" when the command has none.
	identity() string
	// toEvents returns the events to append; every field is valid.
	toEvents() []domain.Event
	setNow(now time.Time)
	// explicitTime reports whether the client sent occurred_at.
	explicitTime() bool
}

// commandKinds builds an empty command of each kind.
var commandKinds = map[string]func() command{
	"customer_registered":     func() command { return new(customerRegistered) },
	"invoice_finalized":       func() command { return new(invoiceFinalized) },
	"payment_attempted":       func() command { return new(paymentAttempted) },
	"payment_method_attached": func() command { return new(paymentMethodAttached) },
	"payment_method_updated":  func() command { return new(paymentMethodUpdated) },
	"card_activity":           func() command { return new(cardActivity) },
}

func commandNames() []string {
	out := make([]string, 0, len(commandKinds))
	for k := range commandKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// commandBase holds what every command may carry: business time and the
// backfill flag (recorded and projected; the engine takes no action).
type commandBase struct {
	OccurredAt string `json:"occurred_at,omitempty"`
	Backfill   bool   `json:"backfill,omitempty"`

	now time.Time
	at  time.Time
}

func (c *commandBase) setNow(now time.Time) { c.now = now }

func (c *commandBase) explicitTime() bool { return c.OccurredAt != "" }

func (c *commandBase) validateBase(f *fields) {
	c.at = f.occurredAt(c.OccurredAt, c.Backfill, c.now)
}

func (c *commandBase) base() domain.Base {
	at := c.at
	if at.IsZero() {
		at = c.now
	}
	return domain.Base{OccurredAt: at.UTC(), Backfill: c.Backfill}
}

type customerRegistered struct {
	commandBase
	CustomerID string `json:"customer_id"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	Country    string `json:"country"`
	TimeZone   string `json:"time_zone"`
}

func (c *customerRegistered) kind() string     { return "customer_registered" }
func (c *customerRegistered) identity() string { return "customer_registered/" + c.CustomerID }
func (c *customerRegistered) validate() []FieldError {
	var f fields
	c.validateBase(&f)
	f.id("customer_id", c.CustomerID)
	f.country("country", c.Country, true)
	f.timeZone("time_zone", c.TimeZone, true)
	return f
}
func (c *customerRegistered) toEvents() []domain.Event {
	return []domain.Event{domain.CustomerRegistered{Base: c.base(), CustomerID: c.CustomerID, Email: c.Email,
		Name: c.Name, Country: c.Country, TimeZone: c.TimeZone}}
}

type invoiceFinalized struct {
	commandBase
	InvoiceID        string `json:"invoice_id"`
	CustomerID       string `json:"customer_id"`
	SubscriptionID   string `json:"subscription_id,omitempty"`
	ProductID        string `json:"product_id,omitempty"`
	PaymentMethodID  string `json:"payment_method_id,omitempty"`
	Amount           int64  `json:"amount"`
	Currency         string `json:"currency"`
	DueDate          string `json:"due_date,omitempty"`
	CollectionMethod string `json:"collection_method,omitempty"`
	AutoAdvance      *bool  `json:"auto_advance,omitempty"`
	BillingReason    string `json:"billing_reason,omitempty"`

	due time.Time
}

func (c *invoiceFinalized) kind() string     { return "invoice_finalized" }
func (c *invoiceFinalized) identity() string { return "invoice_finalized/" + c.InvoiceID }
func (c *invoiceFinalized) validate() []FieldError {
	var f fields
	c.validateBase(&f)
	f.id("invoice_id", c.InvoiceID)
	f.id("customer_id", c.CustomerID)
	f.optionalID("subscription_id", c.SubscriptionID)
	f.optionalID("product_id", c.ProductID)
	f.optionalID("payment_method_id", c.PaymentMethodID)
	f.positive("amount", c.Amount)
	f.currency("currency", c.Currency)
	c.due = f.timestamp("due_date", c.DueDate, false)
	f.oneOf("collection_method", c.CollectionMethod, false, string(domain.ChargeAutomatically), string(domain.SendInvoice))
	if c.CollectionMethod != string(domain.SendInvoice) && c.PaymentMethodID == "" {
		f.add("payment_method_id", CodeRequired, "is required when collection_method is charge_automatically")
	}
	if c.CollectionMethod == string(domain.SendInvoice) && c.DueDate == "" {
		f.add("due_date", CodeRequired, "is required when collection_method is send_invoice")
	}
	f.oneOf("billing_reason", c.BillingReason, false, "subscription_create", "subscription_cycle", "manual")
	return f
}
func (c *invoiceFinalized) toEvents() []domain.Event {
	method := domain.CollectionMethod(c.CollectionMethod)
	if method == "" {
		method = domain.ChargeAutomatically
	}
	auto := true
	if c.AutoAdvance != nil {
		auto = *c.AutoAdvance
	}
	e := domain.InvoiceFinalized{Base: c.base(), InvoiceID: c.InvoiceID, CustomerID: c.CustomerID,
		SubscriptionID: c.SubscriptionID, ProductID: c.ProductID, PaymentMethodID: c.PaymentMethodID,
		Amount: c.Amount, Currency: c.Currency, CollectionMethod: method, AutoAdvance: auto, BillingReason: c.BillingReason}
	if !c.due.IsZero() {
		d := c.due
		e.DueDate = &d
	}
	return []domain.Event{e}
}

type paymentAttempted struct {
	commandBase
	InvoiceID          string `json:"invoice_id"`
	PaymentMethodID    string `json:"payment_method_id"`
	AttemptNumber      int    `json:"attempt_number"`
	Amount             int64  `json:"amount"`
	Currency           string `json:"currency"`
	Outcome            string `json:"outcome"`
	DeclineCode        string `json:"decline_code,omitempty"`
	NetworkDeclineCode string `json:"network_decline_code,omitempty"`
	AdviceCode         string `json:"advice_code,omitempty"`
	Network            string `json:"network,omitempty"`
	Funding            string `json:"funding,omitempty"`
	Initiator          string `json:"initiator,omitempty"`
	ChargeID           string `json:"charge_id,omitempty"`
}

func (c *paymentAttempted) kind() string { return "payment_attempted" }
func (c *paymentAttempted) identity() string {
	return fmt.Sprintf("payment_attempted/%s/%d", c.InvoiceID, c.AttemptNumber)
}
func (c *paymentAttempted) validate() []FieldError {
	var f fields
	c.validateBase(&f)
	f.id("invoice_id", c.InvoiceID)
	f.id("payment_method_id", c.PaymentMethodID)
	f.between("attempt_number", c.AttemptNumber, 1, 1000)
	f.positive("amount", c.Amount)
	f.currency("currency", c.Currency)
	f.oneOf("outcome", c.Outcome, true, string(domain.Succeeded), string(domain.Failed))
	f.declineCode("decline_code", c.DeclineCode, c.Outcome == string(domain.Failed))
	if c.Outcome == string(domain.Succeeded) && c.DeclineCode != "" {
		f.add("decline_code", CodeInvalidValue, "must be empty when outcome is succeeded")
	}
	f.adviceCode("advice_code", c.AdviceCode)
	f.network("network", domain.Network(c.Network), false)
	f.funding("funding", domain.Funding(c.Funding), false)
	f.oneOf("initiator", c.Initiator, false, string(domain.InitiatorInitial), string(domain.InitiatorRetry),
		string(domain.InitiatorCustomer), string(domain.InitiatorManual))
	return f
}
func (c *paymentAttempted) toEvents() []domain.Event {
	init := domain.Initiator(c.Initiator)
	if init == "" {
		init = domain.InitiatorRetry
		if c.AttemptNumber == 1 {
			init = domain.InitiatorInitial
		}
	}
	return []domain.Event{domain.PaymentAttempted{Base: c.base(), InvoiceID: c.InvoiceID, PaymentMethodID: c.PaymentMethodID,
		AttemptNumber: c.AttemptNumber, Amount: c.Amount, Currency: c.Currency, Outcome: domain.Outcome(c.Outcome),
		DeclineCode: c.DeclineCode, NetworkDeclineCode: c.NetworkDeclineCode, AdviceCode: c.AdviceCode,
		Network: domain.Network(c.Network), Funding: domain.Funding(c.Funding), Initiator: init, ChargeID: c.ChargeID}}
}

type paymentMethodAttached struct {
	commandBase
	PaymentMethodID string `json:"payment_method_id"`
	CustomerID      string `json:"customer_id"`
	Network         string `json:"network"`
	Funding         string `json:"funding"`
	Country         string `json:"country"`
	ExpMonth        int    `json:"exp_month"`
	ExpYear         int    `json:"exp_year"`
	Last4           string `json:"last4,omitempty"`
	Default         bool   `json:"default,omitempty"`
}

func (c *paymentMethodAttached) kind() string { return "payment_method_attached" }
func (c *paymentMethodAttached) identity() string {
	return "payment_method_attached/" + c.PaymentMethodID
}
func (c *paymentMethodAttached) validate() []FieldError {
	var f fields
	c.validateBase(&f)
	f.id("payment_method_id", c.PaymentMethodID)
	f.id("customer_id", c.CustomerID)
	f.network("network", domain.Network(c.Network), true)
	f.funding("funding", domain.Funding(c.Funding), true)
	f.country("country", c.Country, true)
	f.between("exp_month", c.ExpMonth, 1, 12)
	f.between("exp_year", c.ExpYear, 2000, 2100)
	f.last4(c.Last4)
	return f
}
func (c *paymentMethodAttached) toEvents() []domain.Event {
	return []domain.Event{domain.PaymentMethodAttached{Base: c.base(), PaymentMethodID: c.PaymentMethodID, CustomerID: c.CustomerID,
		Network: domain.Network(c.Network), Funding: domain.Funding(c.Funding), Country: c.Country,
		ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Last4: c.Last4, Default: c.Default}}
}

type paymentMethodUpdated struct {
	commandBase
	PaymentMethodID string `json:"payment_method_id"`
	CustomerID      string `json:"customer_id"`
	Source          string `json:"source"`
	ExpMonth        int    `json:"exp_month"`
	ExpYear         int    `json:"exp_year"`
	Last4           string `json:"last4,omitempty"`
	NewNumber       bool   `json:"new_number,omitempty"`
}

func (c *paymentMethodUpdated) kind() string     { return "payment_method_updated" }
func (c *paymentMethodUpdated) identity() string { return "" }
func (c *paymentMethodUpdated) validate() []FieldError {
	var f fields
	c.validateBase(&f)
	f.id("payment_method_id", c.PaymentMethodID)
	f.id("customer_id", c.CustomerID)
	f.oneOf("source", c.Source, true, string(domain.UpdatedByCustomer), string(domain.UpdatedByAccountUpdater))
	f.between("exp_month", c.ExpMonth, 1, 12)
	f.between("exp_year", c.ExpYear, 2000, 2100)
	f.last4(c.Last4)
	return f
}
func (c *paymentMethodUpdated) toEvents() []domain.Event {
	return []domain.Event{domain.PaymentMethodUpdated{Base: c.base(), PaymentMethodID: c.PaymentMethodID, CustomerID: c.CustomerID,
		Source: domain.UpdateSource(c.Source), ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Last4: c.Last4, NewNumber: c.NewNumber}}
}

type cardActivity struct {
	commandBase
	PaymentMethodID string `json:"payment_method_id"`
	DeviceID        string `json:"device_id"`
}

func (c *cardActivity) kind() string     { return "card_activity" }
func (c *cardActivity) identity() string { return "" }
func (c *cardActivity) validate() []FieldError {
	var f fields
	c.validateBase(&f)
	f.id("payment_method_id", c.PaymentMethodID)
	f.id("device_id", c.DeviceID)
	return f
}
func (c *cardActivity) toEvents() []domain.Event {
	return []domain.Event{domain.CardActivityObserved{Base: c.base(), PaymentMethodID: c.PaymentMethodID, DeviceID: c.DeviceID}}
}

// decide lets the invoice aggregate accept the finalization: it refuses a
// second finalization, a foreign invoice ID, and rules of its own.
func (c *invoiceFinalized) decide(history []domain.Event) ([]domain.Event, error) {
	return domain.RebuildInvoice(history).Finalize(c.toEvents()[0].(domain.InvoiceFinalized))
}

// decide lets the invoice aggregate record the attempt: it must be the
// next attempt number, within the remaining amount and currency, on a
// payable invoice; a success adds the payment and, when whole, the paid
// status.
func (c *paymentAttempted) decide(history []domain.Event) ([]domain.Event, error) {
	return domain.RebuildInvoice(history).RecordAttempt(c.toEvents()[0].(domain.PaymentAttempted))
}
