package domain

import "time"

// Event is one fact of the ledger. Every event names its type and the
// stream it belongs to, and carries its business time.
type Event interface {
	EventType() string
	StreamName() string
	When() time.Time
}

// Base carries the fields every event has. OccurredAt is business time
// (virtual in the simulator), apart from the store's record time.
// Backfill marks events imported from history: they are recorded and
// projected, but the dunning engine takes no action on them.
type Base struct {
	OccurredAt time.Time `json:"occurred_at"`
	Backfill   bool      `json:"backfill,omitempty"`
}

// When returns the event's business time.
func (b Base) When() time.Time { return b.OccurredAt }

// Stream names.
func InvoiceStream(id string) string       { return "invoice-" + id }
func SubscriptionStream(id string) string  { return "subscription-" + id }
func CustomerStream(id string) string      { return "customer-" + id }
func PaymentMethodStream(id string) string { return "paymentmethod-" + id }
func ProductStream(id string) string       { return "product-" + id }
func PresetStream(id string) string        { return "preset-" + id }

// SettingsStream holds account-wide settings: collection settings and the
// default preset.
const SettingsStream = "settings"

// ---- customer and card ----

// CustomerRegistered records a customer and where they live.
type CustomerRegistered struct {
	Base
	CustomerID string `json:"customer_id"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	Country    string `json:"country"`   // ISO 3166-1 alpha-2
	TimeZone   string `json:"time_zone"` // IANA name
}

// PaymentMethodAttached records a card attached to a customer.
type PaymentMethodAttached struct {
	Base
	PaymentMethodID string  `json:"payment_method_id"`
	CustomerID      string  `json:"customer_id"`
	Network         Network `json:"network"`
	Funding         Funding `json:"funding"`
	Country         string  `json:"country"` // issuing country
	ExpMonth        int     `json:"exp_month"`
	ExpYear         int     `json:"exp_year"`
	Last4           string  `json:"last4,omitempty"`
	// Default makes this the customer's payment method for new charges.
	Default bool `json:"default"`
}

// PaymentMethodUpdated records new card credentials (new number or
// expiry) for an existing payment method. A new number restarts network
// retry eligibility.
type PaymentMethodUpdated struct {
	Base
	PaymentMethodID string       `json:"payment_method_id"`
	CustomerID      string       `json:"customer_id"`
	Source          UpdateSource `json:"source"`
	ExpMonth        int          `json:"exp_month"`
	ExpYear         int          `json:"exp_year"`
	Last4           string       `json:"last4,omitempty"`
	NewNumber       bool         `json:"new_number"`
}

// CardActivityObserved records a device presenting the card elsewhere:
// the signal of distinct devices that presented a payment method in the
// last N hours.
type CardActivityObserved struct {
	Base
	PaymentMethodID string `json:"payment_method_id"`
	DeviceID        string `json:"device_id"`
}

// ---- catalogue ----

// ProductCreated records a product that subscriptions are sold on.
type ProductCreated struct {
	Base
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
}

// ProductPresetAssigned records a product choosing a dunning preset; an
// empty PresetID returns the product to the account default.
type ProductPresetAssigned struct {
	Base
	ProductID string `json:"product_id"`
	PresetID  string `json:"preset_id,omitempty"`
}

// PresetCreated records a new dunning preset.
type PresetCreated struct {
	Base
	PresetID string     `json:"preset_id"`
	Spec     PresetSpec `json:"spec"`
}

// PresetUpdated records an edit; runs already started keep their snapshot.
type PresetUpdated struct {
	Base
	PresetID string     `json:"preset_id"`
	Spec     PresetSpec `json:"spec"`
}

// PresetArchived records that a preset can no longer be assigned; products
// that already use it keep it.
type PresetArchived struct {
	Base
	PresetID string `json:"preset_id"`
}

// DefaultPresetChanged records a new account default preset. It never
// changes products that chose another preset, nor runs already started.
type DefaultPresetChanged struct {
	Base
	PresetID         string `json:"preset_id"`
	PreviousPresetID string `json:"previous_preset_id,omitempty"`
}

// CollectionSettingsChanged records Stripe-like automatic-collection
// settings.
type CollectionSettingsChanged struct {
	Base
	Settings CollectionSettings `json:"settings"`
}

// ---- subscription ----

// SubscriptionStarted records a new subscription.
type SubscriptionStarted struct {
	Base
	SubscriptionID  string   `json:"subscription_id"`
	CustomerID      string   `json:"customer_id"`
	ProductID       string   `json:"product_id"`
	PaymentMethodID string   `json:"payment_method_id"`
	Amount          int64    `json:"amount"`
	Currency        string   `json:"currency"`
	Interval        Interval `json:"interval"`
	IntervalCount   int      `json:"interval_count"`
}

// SubscriptionPaused records collection paused (during recovery or after
// failure, per preset).
type SubscriptionPaused struct {
	Base
	SubscriptionID string `json:"subscription_id"`
	Reason         string `json:"reason"`
	InvoiceID      string `json:"invoice_id,omitempty"`
}

// SubscriptionResumed records a subscription back to active.
type SubscriptionResumed struct {
	Base
	SubscriptionID string `json:"subscription_id"`
	Reason         string `json:"reason"`
	InvoiceID      string `json:"invoice_id,omitempty"`
}

// SubscriptionCanceled records the end of a subscription, with its reason.
type SubscriptionCanceled struct {
	Base
	SubscriptionID string `json:"subscription_id"`
	Reason         string `json:"reason"` // e.g. payment_failed, customer_request
	InvoiceID      string `json:"invoice_id,omitempty"`
}

// SubscriptionMarkedPastDue records a renewal invoice that failed while
// the subscription stays active.
type SubscriptionMarkedPastDue struct {
	Base
	SubscriptionID string `json:"subscription_id"`
	InvoiceID      string `json:"invoice_id"`
}

// ---- invoice ----

// InvoiceCreated records a draft invoice.
type InvoiceCreated struct {
	Base
	InvoiceID      string `json:"invoice_id"`
	CustomerID     string `json:"customer_id"`
	SubscriptionID string `json:"subscription_id,omitempty"`
}

// InvoiceFinalized records an invoice that is now open for payment.
type InvoiceFinalized struct {
	Base
	InvoiceID        string           `json:"invoice_id"`
	CustomerID       string           `json:"customer_id"`
	SubscriptionID   string           `json:"subscription_id,omitempty"` // empty for one-off invoices
	ProductID        string           `json:"product_id,omitempty"`
	PaymentMethodID  string           `json:"payment_method_id,omitempty"`
	Amount           int64            `json:"amount"`
	Currency         string           `json:"currency"`
	DueDate          *time.Time       `json:"due_date,omitempty"`
	CollectionMethod CollectionMethod `json:"collection_method"`
	AutoAdvance      bool             `json:"auto_advance"`
	BillingReason    string           `json:"billing_reason,omitempty"` // subscription_create, subscription_cycle, manual
}

// PaymentAttempted records one charge attempt and its outcome.
type PaymentAttempted struct {
	Base
	InvoiceID          string    `json:"invoice_id"`
	PaymentMethodID    string    `json:"payment_method_id"`
	AttemptNumber      int       `json:"attempt_number"` // 1 for the first charge
	Amount             int64     `json:"amount"`
	Currency           string    `json:"currency"`
	Outcome            Outcome   `json:"outcome"`
	DeclineCode        string    `json:"decline_code,omitempty"`         // processor code, e.g. insufficient_funds
	NetworkDeclineCode string    `json:"network_decline_code,omitempty"` // ISO 8583 response, e.g. "51"
	AdviceCode         string    `json:"advice_code,omitempty"`          // Mastercard merchant advice code, e.g. "24"
	Network            Network   `json:"network,omitempty"`
	Funding            Funding   `json:"funding,omitempty"`
	Initiator          Initiator `json:"initiator"`
	// Source says what chose this attempt's time: smart, schedule or
	// explore; Propensity is the probability the policy had of choosing
	// it (logged for off-policy evaluation).
	Source     RetrySource `json:"source,omitempty"`
	Propensity float64     `json:"propensity,omitempty"`
	ChargeID   string      `json:"charge_id,omitempty"`
}

// PaymentSucceeded records money collected by a successful attempt.
type PaymentSucceeded struct {
	Base
	InvoiceID     string `json:"invoice_id"`
	Amount        int64  `json:"amount"`
	AttemptNumber int    `json:"attempt_number"`
	ChargeID      string `json:"charge_id,omitempty"`
}

// PartialPaymentReceived records money received for part of an invoice.
type PartialPaymentReceived struct {
	Base
	InvoiceID string `json:"invoice_id"`
	Amount    int64  `json:"amount"`
}

// InvoicePaid records an invoice settled in full.
type InvoicePaid struct {
	Base
	InvoiceID  string `json:"invoice_id"`
	AmountPaid int64  `json:"amount_paid"`
}

// ChargeOutsideAttempt records a charge the engine made, which succeeded,
// but which the ledger cannot hold as the attempt its idempotency key
// names: another writer recorded that attempt number meanwhile, the
// invoice was closed (paid out of band, voided), or the charge was for
// more than remains. The money was taken all the same, so it is recorded
// in any invoice status: Applied of it is applied to the invoice by the
// PartialPaymentReceived that follows this event (at most what remained,
// none on a closed invoice), and the rest (Amount - Applied) is owed
// back to the customer, a reconciliation item by IdempotencyKey and
// ChargeID. Reason says why it is outside an attempt.
type ChargeOutsideAttempt struct {
	Base
	InvoiceID       string `json:"invoice_id"`
	IdempotencyKey  string `json:"idempotency_key"`
	PaymentMethodID string `json:"payment_method_id"`
	ChargeID        string `json:"charge_id,omitempty"`
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	Applied         int64  `json:"applied"`
	Reason          string `json:"reason"`
}

// Reasons of a ChargeOutsideAttempt.
const (
	ReasonAttemptTaken  = "attempt_taken"  // another writer recorded the attempt number
	ReasonInvoiceClosed = "invoice_closed" // paid, void or uncollectible meanwhile
	ReasonOverRemainder = "over_remainder" // more than remains
)

// InvoiceReconciled records a remainder within the auto-reconcile
// threshold credited so that the invoice can be marked paid.
type InvoiceReconciled struct {
	Base
	InvoiceID    string `json:"invoice_id"`
	CreditAmount int64  `json:"credit_amount"`
}

// DunningStarted records the start of a recovery run with the preset and
// settings it keeps until it ends.
type DunningStarted struct {
	Base
	InvoiceID      string             `json:"invoice_id"`
	SubscriptionID string             `json:"subscription_id,omitempty"`
	PresetID       string             `json:"preset_id"`
	Preset         PresetSpec         `json:"preset"`
	Settings       CollectionSettings `json:"settings"`
}

// RetryScheduled records the time chosen for the next attempt.
type RetryScheduled struct {
	Base
	InvoiceID     string      `json:"invoice_id"`
	AttemptNumber int         `json:"attempt_number"`
	At            time.Time   `json:"at"`
	Source        RetrySource `json:"source"`
	ModelVersion  string      `json:"model_version,omitempty"`
	Score         float64     `json:"score,omitempty"`
	Propensity    float64     `json:"propensity,omitempty"`
	// PaymentMethodID is set when the retry moves to another payment
	// method (a card update restarts eligibility).
	PaymentMethodID string `json:"payment_method_id,omitempty"`
	// Rule names the network rule that pushed the time later, if any.
	Rule string `json:"rule,omitempty"`
}

// RetryBlocked records that no retry may be made on the invoice's card
// (a hard decline, or a network rule forbidding it): the run waits for a
// new card until Until, then ends as exhausted.
type RetryBlocked struct {
	Base
	InvoiceID       string    `json:"invoice_id"`
	PaymentMethodID string    `json:"payment_method_id,omitempty"`
	Rule            string    `json:"rule"`
	Until           time.Time `json:"until"`
}

// ReminderScheduled records a reminder email due at a time.
type ReminderScheduled struct {
	Base
	InvoiceID string       `json:"invoice_id"`
	Kind      ReminderKind `json:"kind"`
	At        time.Time    `json:"at"`
}

// ReminderSent records an email (or other channel) sent to the customer.
type ReminderSent struct {
	Base
	InvoiceID string       `json:"invoice_id"`
	Kind      ReminderKind `json:"kind"`
	Channel   string       `json:"channel"`
	MessageID string       `json:"message_id,omitempty"`
	// ScheduledAt is the At of the ReminderScheduled this send answers.
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
}

// ReminderFailed records an email that could not be sent; the engine
// tries again after a backoff and records each failure, so that no send
// is silently dropped. Attempts reaching the engine's limit means it gave
// up.
type ReminderFailed struct {
	Base
	InvoiceID string       `json:"invoice_id"`
	Kind      ReminderKind `json:"kind"`
	Channel   string       `json:"channel"`
	MessageID string       `json:"message_id"`
	Attempts  int          `json:"attempts"`
	Error     string       `json:"error"`
}

// DunningExhausted records the end of retries without payment.
type DunningExhausted struct {
	Base
	InvoiceID string `json:"invoice_id"`
	Attempts  int    `json:"attempts"`
}

// InvoiceMarkedUncollectible records an invoice given up on; it can still
// be paid.
type InvoiceMarkedUncollectible struct {
	Base
	InvoiceID string `json:"invoice_id"`
	Reason    string `json:"reason,omitempty"`
}

// InvoiceWrittenOff records the unpaid remainder written off.
type InvoiceWrittenOff struct {
	Base
	InvoiceID string `json:"invoice_id"`
	Amount    int64  `json:"amount"`
}

// InvoiceLeftOverdue records an invoice left open past due after failed
// recovery; UncollectibleAt is set when it is to be marked uncollectible.
type InvoiceLeftOverdue struct {
	Base
	InvoiceID       string     `json:"invoice_id"`
	UncollectibleAt *time.Time `json:"uncollectible_at,omitempty"`
}

// InvoiceVoided records an invoice canceled; final.
type InvoiceVoided struct {
	Base
	InvoiceID string `json:"invoice_id"`
}

// WebhookSent records an outbound webhook delivered (or given up on) so
// that no send is silently dropped.
type WebhookSent struct {
	Base
	InvoiceID  string `json:"invoice_id,omitempty"`
	WebhookID  string `json:"webhook_id"`
	Type       string `json:"type"`
	URL        string `json:"url"`
	Attempts   int    `json:"attempts"`
	Delivered  bool   `json:"delivered"`
	LastStatus int    `json:"last_status,omitempty"`
	LastError  string `json:"last_error,omitempty"`
}
