package domain

import (
	"fmt"
	"slices"
)

// Limits of presets and settings.
const (
	MaxScheduleGapDays   = 60 // one gap of a manual schedule
	MaxSmartWindowDays   = 60 // Stripe lets the smart window run to 2 months
	MaxOverdueDays       = 365
	MaxReminderDays      = 90
	MaxRemindersPerSide  = 10
	maxPresetNameLength  = 200
	allowedUncollectible = "0, 30, 60 or 90"
)

// Validate checks a preset against Metrifox's rules and returns a
// *ValidationError naming every failing field, or nil.
func (p PresetSpec) Validate() error {
	var fe fieldErrs
	fe.require("name", p.Name)
	if len(p.Name) > maxPresetNameLength {
		fe.add("name", CodeOutOfRange, "must be at most %d bytes", maxPresetNameLength)
	}
	p.validateRetries(&fe)
	switch p.DuringRecovery {
	case DuringPause, DuringKeepActive:
	case "":
		fe.add("during_recovery", CodeRequired, "must be pause or keep_active")
	default:
		fe.add("during_recovery", CodeOneOf, "must be pause or keep_active, got %q", p.DuringRecovery)
	}
	switch p.AfterSub {
	case AfterCancel, AfterKeepActive, AfterPause:
	case "":
		fe.add("after_failure_subscription", CodeRequired, "must be cancel, keep_active or pause")
	default:
		fe.add("after_failure_subscription", CodeOneOf, "must be cancel, keep_active or pause, got %q", p.AfterSub)
	}
	p.validateAfterInvoice(&fe)
	return fe.err()
}

func (p PresetSpec) validateRetries(fe *fieldErrs) {
	if p.SmartRetries && len(p.Schedule) > 0 {
		fe.add("schedule", CodeMutuallyExclusive, "a preset uses smart retries or a manual schedule, not both")
	}
	if p.RetriesEnabled && !p.SmartRetries && len(p.Schedule) == 0 {
		fe.add("schedule", CodeRequired, "retries are on: give a manual schedule of 1 to %d gaps or turn smart retries on", MaxManualRetries)
	}
	if len(p.Schedule) > MaxManualRetries {
		fe.add("schedule", CodeOutOfRange, "at most %d manual retries, got %d", MaxManualRetries, len(p.Schedule))
	}
	for i, d := range p.Schedule {
		if d < 1 || d > MaxScheduleGapDays {
			fe.add(fmt.Sprintf("schedule[%d]", i), CodeOutOfRange, "each gap must be 1 to %d days, got %d", MaxScheduleGapDays, d)
		}
	}
	if p.SmartRetries {
		if p.SmartMaxRetries < 1 || p.SmartMaxRetries > MaxManualRetries {
			fe.add("smart_max_retries", CodeOutOfRange, "smart retries need 1 to %d retries, got %d", MaxManualRetries, p.SmartMaxRetries)
		}
		if p.SmartWindowDays < 1 || p.SmartWindowDays > MaxSmartWindowDays {
			fe.add("smart_window_days", CodeOutOfRange, "smart retries need a window of 1 to %d days, got %d", MaxSmartWindowDays, p.SmartWindowDays)
		}
		return
	}
	if p.SmartMaxRetries != 0 {
		fe.add("smart_max_retries", CodeNotAllowed, "only smart presets take smart_max_retries")
	}
	if p.SmartWindowDays != 0 {
		fe.add("smart_window_days", CodeNotAllowed, "only smart presets take smart_window_days")
	}
}

func (p PresetSpec) validateAfterInvoice(fe *fieldErrs) {
	switch p.AfterInvoice {
	case InvoiceLeaveOverdueDays:
		if p.OverdueDays < 1 || p.OverdueDays > MaxOverdueDays {
			fe.add("overdue_days", CodeOutOfRange, "leave_overdue_days needs 1 to %d days, got %d", MaxOverdueDays, p.OverdueDays)
		}
		return
	case InvoiceWriteOff, InvoiceLeaveOverdue:
	case "":
		fe.add("after_failure_invoice", CodeRequired, "must be write_off, leave_overdue or leave_overdue_days")
	default:
		fe.add("after_failure_invoice", CodeOneOf, "must be write_off, leave_overdue or leave_overdue_days, got %q", p.AfterInvoice)
	}
	if p.OverdueDays != 0 {
		fe.add("overdue_days", CodeNotAllowed, "only leave_overdue_days takes overdue_days")
	}
}

// MaxRetries is how many retries the preset allows in one run (0 when
// retries are off).
func (p PresetSpec) MaxRetries() int {
	switch {
	case !p.RetriesEnabled:
		return 0
	case p.SmartRetries:
		return p.SmartMaxRetries
	default:
		return len(p.Schedule)
	}
}

// Validate checks collection settings and returns a *ValidationError
// naming every failing field, or nil.
func (s CollectionSettings) Validate() error {
	var fe fieldErrs
	switch s.UncollectibleAfterDays {
	case 0, 30, 60, 90:
	default:
		fe.add("uncollectible_after_days", CodeOneOf, "must be %s, got %d", allowedUncollectible, s.UncollectibleAfterDays)
	}
	fe.nonNegative("auto_reconcile_threshold", s.AutoReconcileThreshold)
	validateReminderDays(&fe, "remind_before_due_days", s.RemindBeforeDueDays)
	validateReminderDays(&fe, "remind_after_due_days", s.RemindAfterDueDays)
	return fe.err()
}

func validateReminderDays(fe *fieldErrs, field string, days []int) {
	if len(days) > MaxRemindersPerSide {
		fe.add(field, CodeOutOfRange, "at most %d reminders, got %d", MaxRemindersPerSide, len(days))
	}
	for i, d := range days {
		if d < 1 || d > MaxReminderDays {
			fe.add(fmt.Sprintf("%s[%d]", field, i), CodeOutOfRange, "must be 1 to %d days, got %d", MaxReminderDays, d)
		}
		if slices.Contains(days[:i], d) {
			fe.add(fmt.Sprintf("%s[%d]", field, i), CodeDuplicate, "day %d is listed twice", d)
		}
	}
}
