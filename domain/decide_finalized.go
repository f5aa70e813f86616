package domain

import "time"

// OnFinalized decides the emails of a newly finalized invoice: a
// send_invoice invoice is emailed when the settings say so, and a one-off
// send_invoice invoice gets reminders before, on and after its due date.
// Reminders that would fall before finalization are skipped. It returns
// nothing once any event follows the finalization, so it is taken once.
func OnFinalized(s Situation) ([]Event, error) {
	d := newDecider(s)
	d.onFinalized()
	return d.result()
}

// FinalizationPending reports whether the finalization decision is due.
func (inv *Invoice) FinalizationPending() bool {
	return inv.Status == InvoiceOpen && inv.Version == inv.FinalizedVersion
}

// finalizationWork reports whether the pending finalization decision
// would record anything under settings (else there is nothing to wait
// for).
func (inv *Invoice) finalizationWork(settings CollectionSettings) bool {
	if !inv.FinalizationPending() || inv.CollectionMethod != SendInvoice {
		return false
	}
	d := newDecider(Situation{Now: inv.FinalizedAt, Invoice: inv, Settings: settings})
	d.onFinalized()
	return len(d.out) > 0
}

func (d *decider) onFinalized() {
	inv, now, set := d.inv, d.s.Now, d.s.Settings
	if !inv.FinalizationPending() || inv.CollectionMethod != SendInvoice {
		return
	}
	if set.EmailFinalizedInvoices {
		d.do(inv.ScheduleReminder(ReminderInvoiceFinalized, now, now))
	}
	if !inv.OneOff() || inv.DueDate == nil {
		return
	}
	due := *inv.DueDate
	remind := func(kind ReminderKind, at time.Time) {
		if !at.Before(inv.FinalizedAt) {
			d.do(inv.ScheduleReminder(kind, at, now))
		}
	}
	for _, n := range set.RemindBeforeDueDays {
		remind(ReminderBeforeDue, due.Add(-time.Duration(n)*day))
	}
	if set.RemindOnDue {
		remind(ReminderOnDue, due)
	}
	for _, n := range set.RemindAfterDueDays {
		remind(ReminderAfterDue, due.Add(time.Duration(n)*day))
	}
}
