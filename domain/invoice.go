package domain

import "time"

// Invoice is the invoice aggregate, rebuilt from its stream. Its fields
// mirror Stripe's invoice object plus the state of its dunning run.
// Commands (invoice_commands.go) never change it; they return events,
// and Apply folds those events in.
type Invoice struct {
	ID               string
	CustomerID       string
	SubscriptionID   string // empty for one-off invoices
	ProductID        string
	PaymentMethodID  string // the card retries charge
	Currency         string
	Status           InvoiceStatus // "" until created
	CollectionMethod CollectionMethod
	AutoAdvance      bool
	BillingReason    string
	DueDate          *time.Time
	FinalizedAt      time.Time

	AmountDue        int64
	AmountPaid       int64
	AmountRemaining  int64
	AmountCredited   int64 // remainder credited by auto-reconcile
	AmountWrittenOff int64
	// Unapplied is money the engine's charges took that the invoice could
	// not take (ChargeOutsideAttempt): owed back to the customer.
	Unapplied int64
	// LastPaymentAt is when money last came in (attempt or partial).
	LastPaymentAt time.Time

	// AttemptCount counts every payment attempt, as Stripe's attempt_count.
	AttemptCount int
	// Attempts are every attempt, oldest first; LastAttempt is the newest.
	Attempts []PaymentAttempted
	// NextPaymentAttempt is when the next automatic attempt is due; nil
	// when none is planned (after the last retry, when blocked, when
	// paid or closed).
	NextPaymentAttempt *time.Time
	LastAttempt        *PaymentAttempted

	// Run is the dunning run, nil before the first failure.
	Run       *DunningRun
	Reminders []Reminder
	// LeftOverdue is set when a run ended leaving the invoice open;
	// UncollectibleAt when it is then to be marked uncollectible.
	LeftOverdue     bool
	UncollectibleAt *time.Time

	// FinalizedVersion is Version right after InvoiceFinalized: while
	// they are equal, the finalization decision (emails, reminders) is due.
	FinalizedVersion int

	// Version counts the events applied: the stream's next expected
	// revision is Version-1 (NoStream when 0).
	Version int
}

// DunningRun is one recovery run: the preset and settings it started
// with (kept even if they change later) and how far it got.
type DunningRun struct {
	PresetID  string
	Preset    PresetSpec
	Settings  CollectionSettings
	StartedAt time.Time
	// RetriesUsed counts retry attempts made in this run.
	RetriesUsed int
	// LastAutoAttemptAt is the time of the run's last initial or retry
	// attempt; manual gaps count from it.
	LastAutoAttemptAt time.Time
	PendingRetry      *RetryScheduled
	// BlockedRule is set while no retry may be made on the card; the run
	// then waits for a new card until BlockedUntil.
	BlockedRule  string
	BlockedUntil time.Time
	Ended        bool
	Exhausted    bool
	EndedAt      time.Time
}

// Active reports whether the run can still retry or be exhausted.
func (r *DunningRun) Active() bool { return r != nil && !r.Ended }

// RetriesLeft is how many retries the run's preset still allows.
func (r *DunningRun) RetriesLeft() int {
	if r == nil {
		return 0
	}
	return max(0, r.Preset.MaxRetries()-r.RetriesUsed)
}

// Deadline is the end of the run's recovery window: the smart window, or
// the last retry of the manual schedule counted from the start. A blocked
// run waits for a new card until then.
func (r *DunningRun) Deadline() time.Time {
	p := r.Preset
	switch {
	case !p.RetriesEnabled:
		return r.StartedAt
	case p.SmartRetries:
		return r.StartedAt.Add(time.Duration(p.SmartWindowDays) * day)
	}
	total := 0
	for _, d := range p.Schedule {
		total += d
	}
	return r.StartedAt.Add(time.Duration(total) * day)
}

// Reminder is one scheduled customer email and whether it went out.
type Reminder struct {
	Kind ReminderKind
	At   time.Time
	Sent bool
}

// RebuildInvoice folds a stream's events into an Invoice.
func RebuildInvoice(events []Event) *Invoice {
	inv := &Invoice{}
	for _, e := range events {
		inv.Apply(e)
	}
	return inv
}

// Exists reports whether the invoice has been created or finalized.
func (inv *Invoice) Exists() bool { return inv.Status != "" }

// OneOff reports whether the invoice belongs to no subscription.
func (inv *Invoice) OneOff() bool { return inv.SubscriptionID == "" }

// Clone returns a copy that decisions can apply the events they are about
// to return to without touching the caller's state. Attempts are only
// ever appended, never changed in place, so the copy shares them with its
// capacity cut to their length: an append to either side then copies,
// and the clone costs no copy of the attempt history (the largest part
// of an invoice, and cloned for every decision). Reminders are changed in
// place (marked sent), so they are copied.
func (inv *Invoice) Clone() *Invoice {
	c := *inv
	if inv.Run != nil {
		r := *inv.Run
		c.Run = &r
	}
	c.Reminders = nil
	if len(inv.Reminders) > 0 {
		c.Reminders = append([]Reminder(nil), inv.Reminders...)
	}
	c.Attempts = inv.Attempts[:len(inv.Attempts):len(inv.Attempts)]
	return &c
}
