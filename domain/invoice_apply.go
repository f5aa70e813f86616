package domain

import "time"

// Apply folds one event into the invoice. Events of other streams are
// counted but otherwise ignored, so a whole stream can be replayed.
func (inv *Invoice) Apply(e Event) {
	inv.Version++
	switch e := e.(type) {
	case InvoiceCreated:
		inv.ID, inv.CustomerID, inv.SubscriptionID = e.InvoiceID, e.CustomerID, e.SubscriptionID
		inv.Status = InvoiceDraft
	case InvoiceFinalized:
		inv.applyFinalized(e)
	case PaymentAttempted:
		inv.applyAttempt(e)
	case PaymentSucceeded:
		inv.AmountPaid += e.Amount
		inv.AmountRemaining -= e.Amount
		inv.LastPaymentAt = e.OccurredAt
	case PartialPaymentReceived:
		inv.AmountPaid += e.Amount
		inv.AmountRemaining -= e.Amount
		inv.LastPaymentAt = e.OccurredAt
	case InvoiceReconciled:
		inv.AmountCredited += e.CreditAmount
		inv.AmountRemaining -= e.CreditAmount
	case InvoicePaid:
		inv.Status = InvoicePaidStatus
		inv.close(e.OccurredAt)
	case DunningStarted:
		inv.Run = &DunningRun{PresetID: e.PresetID, Preset: e.Preset, Settings: e.Settings,
			StartedAt: e.OccurredAt, LastAutoAttemptAt: e.OccurredAt}
		if inv.LastAttempt != nil {
			inv.Run.LastAutoAttemptAt = inv.LastAttempt.OccurredAt
		}
	case RetryScheduled:
		inv.applyRetryScheduled(e)
	case RetryBlocked:
		if inv.Run != nil {
			inv.Run.PendingRetry = nil
			inv.Run.BlockedRule, inv.Run.BlockedUntil = e.Rule, e.Until
		}
		inv.NextPaymentAttempt = nil
	case ReminderScheduled:
		inv.Reminders = append(inv.Reminders, Reminder{Kind: e.Kind, At: e.At})
	case ReminderSent:
		inv.applyReminderSent(e)
	case DunningExhausted:
		inv.endRun(e.OccurredAt, true)
		inv.NextPaymentAttempt = nil
	case InvoiceMarkedUncollectible:
		inv.Status = InvoiceUncollectible
		inv.close(e.OccurredAt)
	case ChargeOutsideAttempt:
		inv.Unapplied += e.Amount - e.Applied
	case InvoiceWrittenOff:
		inv.AmountWrittenOff += e.Amount
	case InvoiceLeftOverdue:
		inv.LeftOverdue = true
		inv.UncollectibleAt = e.UncollectibleAt
	case InvoiceVoided:
		inv.Status = InvoiceVoid
		inv.close(e.OccurredAt)
	}
}

func (inv *Invoice) applyFinalized(e InvoiceFinalized) {
	inv.ID, inv.CustomerID, inv.SubscriptionID = e.InvoiceID, e.CustomerID, e.SubscriptionID
	inv.ProductID, inv.PaymentMethodID, inv.Currency = e.ProductID, e.PaymentMethodID, e.Currency
	inv.CollectionMethod, inv.AutoAdvance, inv.BillingReason = e.CollectionMethod, e.AutoAdvance, e.BillingReason
	inv.DueDate, inv.FinalizedAt = e.DueDate, e.OccurredAt
	inv.AmountDue, inv.AmountRemaining = e.Amount, e.Amount
	inv.Status = InvoiceOpen
	inv.FinalizedVersion = inv.Version
	if inv.awaitsInitialCharge() {
		t := e.OccurredAt
		inv.NextPaymentAttempt = &t
	}
}

// awaitsInitialCharge: Stripe attempts an auto-advancing,
// charge_automatically invoice with a payment method on finalization.
// An attempt the customer made first (on a hosted page, recorded by
// another writer) does not stand in for it: collection is still owed, so
// NextPaymentAttempt stays and the initial charge is made, as the next
// attempt, while the invoice is open with something left to pay. Only an
// automatic attempt (initial or retry) is the initial charge.
func (inv *Invoice) awaitsInitialCharge() bool {
	return inv.Status == InvoiceOpen && inv.CollectionMethod == ChargeAutomatically &&
		inv.AutoAdvance && inv.PaymentMethodID != "" && inv.AmountRemaining > 0 && !inv.automaticAttempted()
}

// automaticAttempted reports whether an automatic attempt (initial or
// retry) was recorded.
func (inv *Invoice) automaticAttempted() bool {
	if inv.Run != nil {
		return true // a run starts only after an automatic attempt failed
	}
	for _, a := range inv.Attempts {
		if a.Initiator == InitiatorInitial || a.Initiator == InitiatorRetry {
			return true
		}
	}
	return false
}

func (inv *Invoice) applyAttempt(e PaymentAttempted) {
	inv.AttemptCount++
	inv.Attempts = append(inv.Attempts, e)
	a := e
	inv.LastAttempt = &a
	if e.PaymentMethodID != "" {
		inv.PaymentMethodID = e.PaymentMethodID
	}
	automatic := e.Initiator == InitiatorInitial || e.Initiator == InitiatorRetry
	if automatic {
		inv.NextPaymentAttempt = nil
	}
	if inv.Run.Active() && automatic {
		inv.Run.LastAutoAttemptAt = e.OccurredAt
		if e.Initiator == InitiatorRetry {
			inv.Run.RetriesUsed++
			inv.Run.PendingRetry = nil
		}
	}
}

func (inv *Invoice) applyRetryScheduled(e RetryScheduled) {
	if inv.Run != nil {
		r := e
		inv.Run.PendingRetry = &r
		inv.Run.BlockedRule, inv.Run.BlockedUntil = "", time.Time{}
	}
	if e.PaymentMethodID != "" {
		inv.PaymentMethodID = e.PaymentMethodID
	}
	t := e.At
	inv.NextPaymentAttempt = &t
}

func (inv *Invoice) applyReminderSent(e ReminderSent) {
	for i := range inv.Reminders {
		r := &inv.Reminders[i]
		if r.Sent || r.Kind != e.Kind {
			continue
		}
		if e.ScheduledAt == nil || r.At.Equal(*e.ScheduledAt) {
			r.Sent = true
			return
		}
	}
	// A send with no matching schedule (an email the engine sent on its
	// own) is still recorded.
	at := e.OccurredAt
	if e.ScheduledAt != nil {
		at = *e.ScheduledAt
	}
	inv.Reminders = append(inv.Reminders, Reminder{Kind: e.Kind, At: at, Sent: true})
}

// close ends everything pending on an invoice that is paid, void or
// uncollectible: no more attempts or uncollectible timers.
func (inv *Invoice) close(at time.Time) {
	inv.NextPaymentAttempt = nil
	inv.UncollectibleAt = nil
	inv.endRun(at, false)
}

func (inv *Invoice) endRun(at time.Time, exhausted bool) {
	if !inv.Run.Active() {
		return
	}
	inv.Run.Ended, inv.Run.Exhausted, inv.Run.EndedAt = true, exhausted, at
	inv.Run.PendingRetry = nil
	inv.Run.BlockedRule = ""
}
