package notify

import (
	"encoding/json"
	"time"
)

// Webhook event types Recoup sends, named as Stripe names them so that
// existing Stripe handlers can read them.
const (
	EventInvoicePaymentFailed       = "invoice.payment_failed"
	EventInvoicePaid                = "invoice.paid"
	EventInvoiceMarkedUncollectible = "invoice.marked_uncollectible"
	EventSubscriptionUpdated        = "customer.subscription.updated"
)

// Event is a Stripe-shaped webhook event:
// {"id":"evt_…","object":"event","type":…,"created":<unix>,"data":{"object":{…}}}.
type Event struct {
	ID      string    `json:"id"`
	Object  string    `json:"object"`
	Type    string    `json:"type"`
	Created int64     `json:"created"`
	Data    EventData `json:"data"`
}

// EventData wraps the object the event is about.
type EventData struct {
	Object json.RawMessage `json:"object"`
}

// NewEvent builds an event about obj; created is business time.
func NewEvent(id, typ string, created time.Time, obj any) (Event, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: id, Object: "event", Type: typ, Created: created.Unix(), Data: EventData{Object: raw}}, nil
}

// Invoice is the subset of Stripe's invoice object Recoup fills in.
// Timestamps are Unix seconds, as in Stripe's payloads.
type Invoice struct {
	ID                 string `json:"id"`
	Object             string `json:"object"` // "invoice"
	Customer           string `json:"customer"`
	Subscription       string `json:"subscription,omitempty"`
	Status             string `json:"status"`
	Currency           string `json:"currency"`
	AmountDue          int64  `json:"amount_due"`
	AmountPaid         int64  `json:"amount_paid"`
	AmountRemaining    int64  `json:"amount_remaining"`
	AttemptCount       int    `json:"attempt_count"`
	Attempted          bool   `json:"attempted"`
	CollectionMethod   string `json:"collection_method"`
	DueDate            *int64 `json:"due_date"`
	NextPaymentAttempt *int64 `json:"next_payment_attempt"`
	// LastDeclineCode is Recoup's addition: the decline of the last attempt.
	LastDeclineCode string `json:"last_decline_code,omitempty"`
}

// Subscription is the subset of Stripe's subscription object Recoup fills in.
type Subscription struct {
	ID       string `json:"id"`
	Object   string `json:"object"` // "subscription"
	Customer string `json:"customer"`
	Status   string `json:"status"`
	// LatestInvoice is the invoice whose dunning changed the subscription.
	LatestInvoice string `json:"latest_invoice,omitempty"`
	// CancellationReason is set when Status is "canceled".
	CancellationReason string `json:"cancellation_reason,omitempty"`
}

// Unix returns t as Unix seconds, nil for nil.
func Unix(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	u := t.Unix()
	return &u
}
