package domain

// Event type names as stored.
const (
	TypeCustomerRegistered         = "CustomerRegistered"
	TypePaymentMethodAttached      = "PaymentMethodAttached"
	TypePaymentMethodUpdated       = "PaymentMethodUpdated"
	TypeCardActivityObserved       = "CardActivityObserved"
	TypeProductCreated             = "ProductCreated"
	TypeProductPresetAssigned      = "ProductPresetAssigned"
	TypePresetCreated              = "PresetCreated"
	TypePresetUpdated              = "PresetUpdated"
	TypePresetArchived             = "PresetArchived"
	TypeDefaultPresetChanged       = "DefaultPresetChanged"
	TypeCollectionSettingsChanged  = "CollectionSettingsChanged"
	TypeSubscriptionStarted        = "SubscriptionStarted"
	TypeSubscriptionPaused         = "SubscriptionPaused"
	TypeSubscriptionResumed        = "SubscriptionResumed"
	TypeSubscriptionCanceled       = "SubscriptionCanceled"
	TypeSubscriptionMarkedPastDue  = "SubscriptionMarkedPastDue"
	TypeInvoiceCreated             = "InvoiceCreated"
	TypeInvoiceFinalized           = "InvoiceFinalized"
	TypePaymentAttempted           = "PaymentAttempted"
	TypePaymentSucceeded           = "PaymentSucceeded"
	TypePartialPaymentReceived     = "PartialPaymentReceived"
	TypeInvoicePaid                = "InvoicePaid"
	TypeInvoiceReconciled          = "InvoiceReconciled"
	TypeDunningStarted             = "DunningStarted"
	TypeRetryScheduled             = "RetryScheduled"
	TypeRetryBlocked               = "RetryBlocked"
	TypeReminderScheduled          = "ReminderScheduled"
	TypeReminderSent               = "ReminderSent"
	TypeReminderFailed             = "ReminderFailed"
	TypeDunningExhausted           = "DunningExhausted"
	TypeInvoiceMarkedUncollectible = "InvoiceMarkedUncollectible"
	TypeInvoiceWrittenOff          = "InvoiceWrittenOff"
	TypeInvoiceLeftOverdue         = "InvoiceLeftOverdue"
	TypeInvoiceVoided              = "InvoiceVoided"
	TypeWebhookSent                = "WebhookSent"
	TypeChargeOutsideAttempt       = "ChargeOutsideAttempt"
)

func (ChargeOutsideAttempt) EventType() string    { return TypeChargeOutsideAttempt }
func (e ChargeOutsideAttempt) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (CustomerRegistered) EventType() string    { return TypeCustomerRegistered }
func (e CustomerRegistered) StreamName() string { return CustomerStream(e.CustomerID) }

func (PaymentMethodAttached) EventType() string    { return TypePaymentMethodAttached }
func (e PaymentMethodAttached) StreamName() string { return PaymentMethodStream(e.PaymentMethodID) }

func (PaymentMethodUpdated) EventType() string    { return TypePaymentMethodUpdated }
func (e PaymentMethodUpdated) StreamName() string { return PaymentMethodStream(e.PaymentMethodID) }

func (CardActivityObserved) EventType() string    { return TypeCardActivityObserved }
func (e CardActivityObserved) StreamName() string { return PaymentMethodStream(e.PaymentMethodID) }

func (ProductCreated) EventType() string    { return TypeProductCreated }
func (e ProductCreated) StreamName() string { return ProductStream(e.ProductID) }

func (ProductPresetAssigned) EventType() string    { return TypeProductPresetAssigned }
func (e ProductPresetAssigned) StreamName() string { return ProductStream(e.ProductID) }

func (PresetCreated) EventType() string    { return TypePresetCreated }
func (e PresetCreated) StreamName() string { return PresetStream(e.PresetID) }

func (PresetUpdated) EventType() string    { return TypePresetUpdated }
func (e PresetUpdated) StreamName() string { return PresetStream(e.PresetID) }

func (PresetArchived) EventType() string    { return TypePresetArchived }
func (e PresetArchived) StreamName() string { return PresetStream(e.PresetID) }

func (DefaultPresetChanged) EventType() string    { return TypeDefaultPresetChanged }
func (e DefaultPresetChanged) StreamName() string { return SettingsStream }

func (CollectionSettingsChanged) EventType() string    { return TypeCollectionSettingsChanged }
func (e CollectionSettingsChanged) StreamName() string { return SettingsStream }

func (SubscriptionStarted) EventType() string    { return TypeSubscriptionStarted }
func (e SubscriptionStarted) StreamName() string { return SubscriptionStream(e.SubscriptionID) }

func (SubscriptionPaused) EventType() string    { return TypeSubscriptionPaused }
func (e SubscriptionPaused) StreamName() string { return SubscriptionStream(e.SubscriptionID) }

func (SubscriptionResumed) EventType() string    { return TypeSubscriptionResumed }
func (e SubscriptionResumed) StreamName() string { return SubscriptionStream(e.SubscriptionID) }

func (SubscriptionCanceled) EventType() string    { return TypeSubscriptionCanceled }
func (e SubscriptionCanceled) StreamName() string { return SubscriptionStream(e.SubscriptionID) }

func (SubscriptionMarkedPastDue) EventType() string    { return TypeSubscriptionMarkedPastDue }
func (e SubscriptionMarkedPastDue) StreamName() string { return SubscriptionStream(e.SubscriptionID) }

func (InvoiceCreated) EventType() string    { return TypeInvoiceCreated }
func (e InvoiceCreated) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoiceFinalized) EventType() string    { return TypeInvoiceFinalized }
func (e InvoiceFinalized) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (PaymentAttempted) EventType() string    { return TypePaymentAttempted }
func (e PaymentAttempted) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (PaymentSucceeded) EventType() string    { return TypePaymentSucceeded }
func (e PaymentSucceeded) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (PartialPaymentReceived) EventType() string    { return TypePartialPaymentReceived }
func (e PartialPaymentReceived) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoicePaid) EventType() string    { return TypeInvoicePaid }
func (e InvoicePaid) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoiceReconciled) EventType() string    { return TypeInvoiceReconciled }
func (e InvoiceReconciled) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (DunningStarted) EventType() string    { return TypeDunningStarted }
func (e DunningStarted) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (RetryScheduled) EventType() string    { return TypeRetryScheduled }
func (e RetryScheduled) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (RetryBlocked) EventType() string    { return TypeRetryBlocked }
func (e RetryBlocked) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (ReminderScheduled) EventType() string    { return TypeReminderScheduled }
func (e ReminderScheduled) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (ReminderSent) EventType() string    { return TypeReminderSent }
func (e ReminderSent) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (ReminderFailed) EventType() string    { return TypeReminderFailed }
func (e ReminderFailed) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (DunningExhausted) EventType() string    { return TypeDunningExhausted }
func (e DunningExhausted) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoiceMarkedUncollectible) EventType() string    { return TypeInvoiceMarkedUncollectible }
func (e InvoiceMarkedUncollectible) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoiceWrittenOff) EventType() string    { return TypeInvoiceWrittenOff }
func (e InvoiceWrittenOff) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoiceLeftOverdue) EventType() string    { return TypeInvoiceLeftOverdue }
func (e InvoiceLeftOverdue) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (InvoiceVoided) EventType() string    { return TypeInvoiceVoided }
func (e InvoiceVoided) StreamName() string { return InvoiceStream(e.InvoiceID) }

func (WebhookSent) EventType() string    { return TypeWebhookSent }
func (e WebhookSent) StreamName() string { return webhookStream(e.InvoiceID) }

// registry maps each stored type name to a constructor of its value.
var registry = map[string]func() Event{
	TypeCustomerRegistered:         func() Event { return new(CustomerRegistered) },
	TypePaymentMethodAttached:      func() Event { return new(PaymentMethodAttached) },
	TypePaymentMethodUpdated:       func() Event { return new(PaymentMethodUpdated) },
	TypeCardActivityObserved:       func() Event { return new(CardActivityObserved) },
	TypeProductCreated:             func() Event { return new(ProductCreated) },
	TypeProductPresetAssigned:      func() Event { return new(ProductPresetAssigned) },
	TypePresetCreated:              func() Event { return new(PresetCreated) },
	TypePresetUpdated:              func() Event { return new(PresetUpdated) },
	TypePresetArchived:             func() Event { return new(PresetArchived) },
	TypeDefaultPresetChanged:       func() Event { return new(DefaultPresetChanged) },
	TypeCollectionSettingsChanged:  func() Event { return new(CollectionSettingsChanged) },
	TypeSubscriptionStarted:        func() Event { return new(SubscriptionStarted) },
	TypeSubscriptionPaused:         func() Event { return new(SubscriptionPaused) },
	TypeSubscriptionResumed:        func() Event { return new(SubscriptionResumed) },
	TypeSubscriptionCanceled:       func() Event { return new(SubscriptionCanceled) },
	TypeSubscriptionMarkedPastDue:  func() Event { return new(SubscriptionMarkedPastDue) },
	TypeInvoiceCreated:             func() Event { return new(InvoiceCreated) },
	TypeInvoiceFinalized:           func() Event { return new(InvoiceFinalized) },
	TypePaymentAttempted:           func() Event { return new(PaymentAttempted) },
	TypePaymentSucceeded:           func() Event { return new(PaymentSucceeded) },
	TypePartialPaymentReceived:     func() Event { return new(PartialPaymentReceived) },
	TypeInvoicePaid:                func() Event { return new(InvoicePaid) },
	TypeInvoiceReconciled:          func() Event { return new(InvoiceReconciled) },
	TypeDunningStarted:             func() Event { return new(DunningStarted) },
	TypeRetryScheduled:             func() Event { return new(RetryScheduled) },
	TypeRetryBlocked:               func() Event { return new(RetryBlocked) },
	TypeReminderScheduled:          func() Event { return new(ReminderScheduled) },
	TypeReminderSent:               func() Event { return new(ReminderSent) },
	TypeReminderFailed:             func() Event { return new(ReminderFailed) },
	TypeDunningExhausted:           func() Event { return new(DunningExhausted) },
	TypeInvoiceMarkedUncollectible: func() Event { return new(InvoiceMarkedUncollectible) },
	TypeInvoiceWrittenOff:          func() Event { return new(InvoiceWrittenOff) },
	TypeInvoiceLeftOverdue:         func() Event { return new(InvoiceLeftOverdue) },
	TypeInvoiceVoided:              func() Event { return new(InvoiceVoided) },
	TypeWebhookSent:                func() Event { return new(WebhookSent) },
	TypeChargeOutsideAttempt:       func() Event { return new(ChargeOutsideAttempt) },
}
