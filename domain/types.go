package domain

// Network is a card network.
type Network string

const (
	Visa       Network = "visa"
	Mastercard Network = "mastercard"
	Amex       Network = "amex"
	Discover   Network = "discover"
)

// Funding is a card's funding type.
type Funding string

const (
	Credit  Funding = "credit"
	Debit   Funding = "debit"
	Prepaid Funding = "prepaid"
)

// UpdateSource says who updated a payment method.
type UpdateSource string

const (
	UpdatedByCustomer       UpdateSource = "customer"
	UpdatedByAccountUpdater UpdateSource = "account_updater"
)

// Interval is a subscription's billing interval.
type Interval string

const (
	Month Interval = "month"
	Year  Interval = "year"
)

// CollectionMethod follows Stripe: charge the payment method or email the
// invoice for the customer to pay.
type CollectionMethod string

const (
	ChargeAutomatically CollectionMethod = "charge_automatically"
	SendInvoice         CollectionMethod = "send_invoice"
)

// Outcome of a payment attempt.
type Outcome string

const (
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
)

// Initiator says who started a payment attempt.
type Initiator string

const (
	InitiatorInitial  Initiator = "initial"
	InitiatorRetry    Initiator = "retry"
	InitiatorCustomer Initiator = "customer"
	InitiatorManual   Initiator = "manual"
)

// RetrySource says what chose a retry's time.
type RetrySource string

const (
	SourceSmart    RetrySource = "smart"
	SourceSchedule RetrySource = "schedule"
	SourceExplore  RetrySource = "explore"
)

// ReminderKind is the reason for a customer email.
type ReminderKind string

const (
	ReminderPaymentFailed    ReminderKind = "payment_failed"
	ReminderBeforeDue        ReminderKind = "before_due"
	ReminderOnDue            ReminderKind = "on_due"
	ReminderAfterDue         ReminderKind = "after_due"
	ReminderInvoiceFinalized ReminderKind = "invoice_finalized"
)

// InvoiceStatus follows Stripe.
type InvoiceStatus string

const (
	InvoiceDraft         InvoiceStatus = "draft"
	InvoiceOpen          InvoiceStatus = "open"
	InvoicePaidStatus    InvoiceStatus = "paid"
	InvoiceUncollectible InvoiceStatus = "uncollectible"
	InvoiceVoid          InvoiceStatus = "void"
)

// SubscriptionStatus follows Stripe's subset Recoup uses.
type SubscriptionStatus string

const (
	SubscriptionActive     SubscriptionStatus = "active"
	SubscriptionPastDue    SubscriptionStatus = "past_due"
	SubscriptionPausedSt   SubscriptionStatus = "paused"
	SubscriptionCanceledSt SubscriptionStatus = "canceled"
)

// DuringRecovery says what happens to the subscription while retries run.
type DuringRecovery string

const (
	DuringPause      DuringRecovery = "pause"
	DuringKeepActive DuringRecovery = "keep_active"
)

// AfterFailureSubscription says what happens to the subscription when
// recovery fails.
type AfterFailureSubscription string

const (
	AfterCancel     AfterFailureSubscription = "cancel"
	AfterKeepActive AfterFailureSubscription = "keep_active"
	AfterPause      AfterFailureSubscription = "pause"
)

// AfterFailureInvoice says what happens to the invoice when recovery fails.
type AfterFailureInvoice string

const (
	InvoiceWriteOff         AfterFailureInvoice = "write_off"
	InvoiceLeaveOverdue     AfterFailureInvoice = "leave_overdue"
	InvoiceLeaveOverdueDays AfterFailureInvoice = "leave_overdue_days"
)

// MaxManualRetries is Metrifox's limit on a manual schedule.
const MaxManualRetries = 8

// PresetSpec is a dunning preset as Metrifox defines it. Exactly one of
// SmartRetries and Schedule is used when RetriesEnabled.
type PresetSpec struct {
	Name           string `json:"name"`
	RetriesEnabled bool   `json:"retries_enabled"`
	// SmartRetries lets the model choose up to SmartMaxRetries times
	// within SmartWindowDays.
	SmartRetries    bool `json:"smart_retries"`
	SmartMaxRetries int  `json:"smart_max_retries,omitempty"`
	SmartWindowDays int  `json:"smart_window_days,omitempty"`
	// Schedule is the manual schedule: days between consecutive retries,
	// the first counted from the failed first attempt (1 to 8 entries).
	Schedule       []int                    `json:"schedule,omitempty"`
	DuringRecovery DuringRecovery           `json:"during_recovery"`
	AfterSub       AfterFailureSubscription `json:"after_failure_subscription"`
	AfterInvoice   AfterFailureInvoice      `json:"after_failure_invoice"`
	// OverdueDays is N of "leave overdue N days, then mark uncollectible".
	OverdueDays int `json:"overdue_days,omitempty"`
}

// DefaultPresetSpec is the account default: 3 retries over 7 days, pause
// during recovery, cancel and leave the invoice overdue after.
func DefaultPresetSpec() PresetSpec {
	return PresetSpec{
		Name:           "Default",
		RetriesEnabled: true,
		Schedule:       []int{1, 2, 4},
		DuringRecovery: DuringPause,
		AfterSub:       AfterCancel,
		AfterInvoice:   InvoiceLeaveOverdue,
	}
}

// CollectionSettings are Stripe-like automatic-collection settings.
type CollectionSettings struct {
	// FailedPaymentEmails sends the customer an email after a failed
	// payment, with a link to pay or update the card.
	FailedPaymentEmails bool `json:"failed_payment_emails"`
	// EmailFinalizedInvoices emails send_invoice invoices when finalized.
	EmailFinalizedInvoices bool `json:"email_finalized_invoices"`
	// Reminders for one-off (send_invoice) invoices, in days relative to
	// the due date.
	RemindBeforeDueDays []int `json:"remind_before_due_days,omitempty"`
	RemindOnDue         bool  `json:"remind_on_due"`
	RemindAfterDueDays  []int `json:"remind_after_due_days,omitempty"`
	// UncollectibleAfterDays marks invoices uncollectible 30, 60 or 90
	// days past due; 0 leaves them past due.
	UncollectibleAfterDays int `json:"uncollectible_after_days"`
	// AutoReconcileThreshold credits a remainder up to this amount (minor
	// units) after a partial payment and marks the invoice paid; 0 is off.
	AutoReconcileThreshold int64 `json:"auto_reconcile_threshold"`
}

// DefaultCollectionSettings are the settings of a new account.
func DefaultCollectionSettings() CollectionSettings {
	return CollectionSettings{FailedPaymentEmails: true, EmailFinalizedInvoices: true}
}
