package readmodel

import (
	"time"

	"github.com/recoupledger/recoup/domain"
)

const kindInvoice = "inv"

// DunningState is where an invoice's recovery run stands.
type DunningState string

const (
	DunningNone      DunningState = "none"      // no payment has failed
	DunningActive    DunningState = "active"    // retries or reminders are running
	DunningExhausted DunningState = "exhausted" // retries ran out unpaid
	DunningRecovered DunningState = "recovered" // paid after a failure
	DunningStopped   DunningState = "stopped"   // voided or marked uncollectible during the run
)

// Invoice is the invoice read model, shaped like Stripe's invoice.
type Invoice struct {
	ID                 string                  `json:"id"`
	Customer           string                  `json:"customer"`
	Subscription       string                  `json:"subscription,omitempty"`
	Product            string                  `json:"product,omitempty"`
	PaymentMethod      string                  `json:"payment_method,omitempty"`
	Status             domain.InvoiceStatus    `json:"status"`
	Currency           string                  `json:"currency,omitempty"`
	AmountDue          int64                   `json:"amount_due"`
	AmountPaid         int64                   `json:"amount_paid"`
	AmountRemaining    int64                   `json:"amount_remaining"`
	AmountCredited     int64                   `json:"amount_credited"`
	AmountWrittenOff   int64                   `json:"amount_written_off"`
	AttemptCount       int                     `json:"attempt_count"`
	Attempted          bool                    `json:"attempted"`
	NextPaymentAttempt *time.Time              `json:"next_payment_attempt"`
	DueDate            *time.Time              `json:"due_date"`
	CollectionMethod   domain.CollectionMethod `json:"collection_method,omitempty"`
	AutoAdvance        bool                    `json:"auto_advance"`
	BillingReason      string                  `json:"billing_reason,omitempty"`
	LastDeclineCode    string                  `json:"last_decline_code,omitempty"`
	LastAttemptAt      *time.Time              `json:"last_attempt_at"`
	Created            time.Time               `json:"created"`
	FinalizedAt        *time.Time              `json:"finalized_at"`
	PaidAt             *time.Time              `json:"paid_at"`
	VoidedAt           *time.Time              `json:"voided_at"`
	UncollectibleAt    *time.Time              `json:"marked_uncollectible_at"`
	Dunning            Dunning                 `json:"dunning"`
	UpdatedAt          time.Time               `json:"updated_at"`

	seq     uint64 // $all position of the creating event
	applied uint64 // $all position + 1 of the last event applied
}

// Dunning is the recovery run of an invoice, with the preset snapshot it
// started with.
type Dunning struct {
	State            DunningState       `json:"state"`
	PresetID         string             `json:"preset_id,omitempty"`
	Preset           *domain.PresetSpec `json:"preset,omitempty"`
	StartedAt        *time.Time         `json:"started_at"`
	EndedAt          *time.Time         `json:"ended_at"`
	RetriesScheduled int                `json:"retries_scheduled"`
	RemindersSent    int                `json:"reminders_sent"`
	NextReminderAt   *time.Time         `json:"next_reminder_at"`
	NextReminderKind string             `json:"next_reminder_kind,omitempty"`
	LeftOverdue      bool               `json:"left_overdue"`
	// UncollectibleAt is when a left-overdue invoice is to be marked
	// uncollectible.
	UncollectibleAt *time.Time `json:"uncollectible_at"`

	// pending are the reminders scheduled and not sent yet, as the
	// Invoice aggregate keeps them; NextReminderAt and NextReminderKind
	// are the earliest of them.
	pending []reminderDue
}

type reminderDue struct {
	kind string
	at   time.Time
}

// maxPending bounds the pending reminders of an invoice (the engine
// schedules a handful); past it the earliest are dropped.
const maxPending = 32

// schedule adds a pending reminder.
func (d *Dunning) schedule(kind []byte, at time.Time) {
	if len(d.pending) == maxPending {
		d.pending = d.pending[1:]
	}
	d.pending = append(d.pending, reminderDue{string(kind), at})
	d.setNext()
}

// sent marks as sent the first pending reminder of kind scheduled at
// scheduledAt (any time when zero), as the aggregate does.
func (d *Dunning) sent(kind []byte, scheduledAt time.Time) {
	d.RemindersSent++
	for i, r := range d.pending {
		if r.kind == string(kind) && (scheduledAt.IsZero() || r.at.Equal(scheduledAt)) {
			d.pending = append(d.pending[:i:i], d.pending[i+1:]...)
			break
		}
	}
	d.setNext()
}

func (d *Dunning) setNext() {
	d.NextReminderAt, d.NextReminderKind = nil, ""
	for i := range d.pending {
		if r := &d.pending[i]; d.NextReminderAt == nil || r.at.Before(*d.NextReminderAt) {
			at := r.at
			d.NextReminderAt, d.NextReminderKind = &at, r.kind
		}
	}
}

func (r *Invoice) sequence() uint64 { return r.seq }
func (r *Invoice) settled() bool {
	return r.Status == domain.InvoicePaidStatus || r.Status == domain.InvoiceVoid
}

func (r *Invoice) indexes(dst []ixEntry) []ixEntry {
	dst = append(dst, ixEntry{"all", ""}, ixEntry{"status", string(r.Status)})
	if r.Customer != "" {
		dst = append(dst, ixEntry{"customer", r.Customer})
	}
	if r.Product != "" {
		dst = append(dst, ixEntry{"product", r.Product})
	}
	if r.NextPaymentAttempt != nil {
		dst = append(dst, ixEntry{"retrying", ""})
	}
	return dst
}

func (r *Invoice) encode(e *enc) {
	e.u(r.seq)
	e.u(r.applied)
	for _, s := range []string{r.ID, r.Customer, r.Subscription, r.Product, r.PaymentMethod, string(r.Status),
		r.Currency, string(r.CollectionMethod), r.BillingReason, r.LastDeclineCode} {
		e.s(s)
	}
	for _, n := range []int64{r.AmountDue, r.AmountPaid, r.AmountRemaining, r.AmountCredited, r.AmountWrittenOff, int64(r.AttemptCount)} {
		e.i(n)
	}
	e.f(r.Attempted)
	e.f(r.AutoAdvance)
	for _, t := range []*time.Time{r.NextPaymentAttempt, r.DueDate, r.LastAttemptAt, r.FinalizedAt, r.PaidAt, r.VoidedAt, r.UncollectibleAt} {
		e.tp(t)
	}
	e.t(r.Created)
	e.t(r.UpdatedAt)
	d := &r.Dunning
	e.s(string(d.State))
	e.s(d.PresetID)
	e.f(d.Preset != nil)
	if d.Preset != nil {
		encodePreset(e, d.Preset)
	}
	for _, t := range []*time.Time{d.StartedAt, d.EndedAt, d.NextReminderAt, d.UncollectibleAt} {
		e.tp(t)
	}
	e.n(d.RetriesScheduled)
	e.n(d.RemindersSent)
	e.s(d.NextReminderKind)
	e.f(d.LeftOverdue)
	e.u(uint64(len(d.pending)))
	for _, p := range d.pending {
		e.s(p.kind)
		e.t(p.at)
	}
}

func (r *Invoice) decode(d *dec) {
	r.seq = d.u()
	r.applied = d.u()
	r.ID, r.Customer, r.Subscription, r.Product, r.PaymentMethod = d.s(), d.s(), d.s(), d.s(), d.s()
	r.Status, r.Currency = domain.InvoiceStatus(d.s()), d.s()
	r.CollectionMethod, r.BillingReason, r.LastDeclineCode = domain.CollectionMethod(d.s()), d.s(), d.s()
	r.AmountDue, r.AmountPaid, r.AmountRemaining, r.AmountCredited, r.AmountWrittenOff = d.i(), d.i(), d.i(), d.i(), d.i()
	r.AttemptCount = d.n()
	r.Attempted, r.AutoAdvance = d.f(), d.f()
	r.NextPaymentAttempt, r.DueDate, r.LastAttemptAt, r.FinalizedAt = d.tp(), d.tp(), d.tp(), d.tp()
	r.PaidAt, r.VoidedAt, r.UncollectibleAt = d.tp(), d.tp(), d.tp()
	r.Created, r.UpdatedAt = d.t(), d.t()
	dn := &r.Dunning
	dn.State, dn.PresetID = DunningState(d.s()), d.s()
	if d.f() {
		dn.Preset = decodePreset(d)
	}
	dn.StartedAt, dn.EndedAt, dn.NextReminderAt, dn.UncollectibleAt = d.tp(), d.tp(), d.tp(), d.tp()
	dn.RetriesScheduled, dn.RemindersSent = d.n(), d.n()
	dn.NextReminderKind = d.s()
	dn.LeftOverdue = d.f()
	if d.version < 2 {
		return // no pending list: the next reminder stands for it
	}
	n := d.u()
	if n > maxPending {
		d.fail()
		return
	}
	if n > 0 {
		dn.pending = make([]reminderDue, n)
		for i := range dn.pending {
			dn.pending[i] = reminderDue{d.s(), d.t()}
		}
	}
}

func encodePreset(e *enc, p *domain.PresetSpec) {
	e.s(p.Name)
	e.f(p.RetriesEnabled)
	e.f(p.SmartRetries)
	e.n(p.SmartMaxRetries)
	e.n(p.SmartWindowDays)
	e.u(uint64(len(p.Schedule)))
	for _, d := range p.Schedule {
		e.n(d)
	}
	e.s(string(p.DuringRecovery))
	e.s(string(p.AfterSub))
	e.s(string(p.AfterInvoice))
	e.n(p.OverdueDays)
}

// maxSchedule bounds a decoded schedule so a corrupt length cannot
// allocate without limit.
const maxSchedule = 64

func decodePreset(d *dec) *domain.PresetSpec {
	p := &domain.PresetSpec{Name: d.s(), RetriesEnabled: d.f(), SmartRetries: d.f(), SmartMaxRetries: d.n(), SmartWindowDays: d.n()}
	n := d.u()
	if n > maxSchedule {
		d.fail()
		return p
	}
	if n > 0 {
		p.Schedule = make([]int, n)
		for i := range p.Schedule {
			p.Schedule[i] = d.n()
		}
	}
	p.DuringRecovery = domain.DuringRecovery(d.s())
	p.AfterSub = domain.AfterFailureSubscription(d.s())
	p.AfterInvoice = domain.AfterFailureInvoice(d.s())
	p.OverdueDays = d.n()
	return p
}
