package domain

import "time"

// Commands of the dunning run. The decisions (decide*.go) call them; the
// engine may too. Each validates against the invoice's state and returns
// the events to append.

func (inv *Invoice) needActiveRun() error {
	if inv.Status != InvoiceOpen {
		return stateErr(ErrInvalidTransition, inv.subject(), "status", "dunning needs an open invoice, this one is %s", inv.Status)
	}
	if !inv.Run.Active() {
		return stateErr(ErrInvalidTransition, inv.subject(), "dunning", "no dunning run is active")
	}
	return nil
}

// StartDunning starts the invoice's recovery run with a snapshot of the
// preset and settings; the run keeps them even if they change later. An
// invoice has at most one run.
func (inv *Invoice) StartDunning(presetID string, spec PresetSpec, settings CollectionSettings, at time.Time) ([]Event, error) {
	if inv.Status != InvoiceOpen {
		return nil, stateErr(ErrInvalidTransition, inv.subject(), "status", "dunning needs an open invoice, this one is %s", inv.Status)
	}
	if inv.Run != nil {
		return nil, stateErr(ErrAlreadyExists, inv.subject(), "dunning", "the invoice already had a dunning run")
	}
	if err := spec.Validate(); err != nil {
		return nil, err.(*ValidationError).Prefixed("preset")
	}
	if err := settings.Validate(); err != nil {
		return nil, err.(*ValidationError).Prefixed("settings")
	}
	return []Event{DunningStarted{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, SubscriptionID: inv.SubscriptionID,
		PresetID: presetID, Preset: spec, Settings: settings}}, nil
}

// ScheduleRetry plans the run's next attempt. It refuses a run with no
// retries left, and a time before the event.
func (inv *Invoice) ScheduleRetry(r RetryScheduled) ([]Event, error) {
	if err := inv.needActiveRun(); err != nil {
		return nil, err
	}
	if inv.Run.RetriesLeft() == 0 {
		return nil, stateErr(ErrInvalidTransition, inv.subject(), "attempt_number", "the preset allows no more retries")
	}
	var fe fieldErrs
	if r.At.Before(r.OccurredAt) {
		fe.add("at", CodeOutOfRange, "a retry cannot be scheduled in the past (%s before %s)", r.At, r.OccurredAt)
	}
	switch r.Source {
	case SourceSmart, SourceSchedule, SourceExplore:
	default:
		fe.add("source", CodeOneOf, "must be smart, schedule or explore, got %q", r.Source)
	}
	if r.Propensity < 0 || r.Propensity > 1 {
		fe.add("propensity", CodeOutOfRange, "must be within 0 and 1, got %v", r.Propensity)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	r.InvoiceID = inv.ID
	if r.AttemptNumber == 0 {
		r.AttemptNumber = inv.AttemptCount + 1
	}
	return []Event{r}, nil
}

// BlockRetries records that the card may not be retried; the run waits
// for a new card until its deadline.
func (inv *Invoice) BlockRetries(rule string, at time.Time) ([]Event, error) {
	if err := inv.needActiveRun(); err != nil {
		return nil, err
	}
	until := inv.Run.Deadline()
	if until.Before(at) {
		until = at
	}
	return []Event{RetryBlocked{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, PaymentMethodID: inv.PaymentMethodID,
		Rule: rule, Until: until}}, nil
}

// Exhaust ends the run without payment.
func (inv *Invoice) Exhaust(at time.Time) ([]Event, error) {
	if err := inv.needActiveRun(); err != nil {
		return nil, err
	}
	return []Event{DunningExhausted{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Attempts: inv.AttemptCount}}, nil
}

// ScheduleReminder plans a customer email at a time; the same kind at the
// same time is scheduled once.
func (inv *Invoice) ScheduleReminder(kind ReminderKind, due, at time.Time) ([]Event, error) {
	if !inv.Exists() {
		return nil, stateErr(ErrNotFound, "invoice", "invoice_id", "no such invoice")
	}
	if !validReminderKind(kind) {
		var fe fieldErrs
		fe.add("kind", CodeOneOf, "unknown reminder kind %q", kind)
		return nil, fe.err()
	}
	for _, r := range inv.Reminders {
		if r.Kind == kind && r.At.Equal(due) {
			return nil, nil
		}
	}
	return []Event{ReminderScheduled{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Kind: kind, At: due}}, nil
}

// RecordReminderSent records an email sent for a scheduled reminder.
func (inv *Invoice) RecordReminderSent(r Reminder, channel, messageID string, at time.Time) ([]Event, error) {
	if !inv.Exists() {
		return nil, stateErr(ErrNotFound, "invoice", "invoice_id", "no such invoice")
	}
	var fe fieldErrs
	fe.require("channel", channel)
	if !validReminderKind(r.Kind) {
		fe.add("kind", CodeOneOf, "unknown reminder kind %q", r.Kind)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	scheduled := r.At
	return []Event{ReminderSent{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Kind: r.Kind, Channel: channel,
		MessageID: messageID, ScheduledAt: &scheduled}}, nil
}

func validReminderKind(k ReminderKind) bool {
	switch k {
	case ReminderPaymentFailed, ReminderBeforeDue, ReminderOnDue, ReminderAfterDue, ReminderInvoiceFinalized:
		return true
	}
	return false
}
