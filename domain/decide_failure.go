package domain

import "time"

// OnPaymentFailed decides what follows a failed automatic attempt that
// has been applied to s.Invoice: start the run with a snapshot of the
// preset (first failure), schedule the payment_failed email, pause the
// subscription or mark it past due, and schedule the next retry — or
// block retries on the card, or exhaust the run and apply the preset's
// outcome. It returns nothing when no decision is pending (see
// FailurePending), so calling it twice is harmless.
func OnPaymentFailed(s Situation) ([]Event, error) {
	d := newDecider(s)
	d.onFailure()
	return d.result()
}

// FailurePending reports whether the invoice's last attempt is an
// automatic failure whose decision has not been recorded yet. An active
// run always has a pending retry or a block, except between a failure and
// its decision.
func (inv *Invoice) FailurePending() bool {
	a := inv.LastAttempt
	if a == nil || a.Outcome != Failed || inv.Status != InvoiceOpen {
		return false
	}
	if a.Initiator != InitiatorInitial && a.Initiator != InitiatorRetry {
		return false
	}
	if inv.CollectionMethod != ChargeAutomatically || !inv.AutoAdvance {
		return false
	}
	if inv.Run == nil {
		return true
	}
	return inv.Run.Active() && inv.Run.PendingRetry == nil && inv.Run.BlockedRule == ""
}

// NeedsPlan reports whether the decision due now needs a RetryPlan: a
// failure decision of a run whose preset uses smart retries. The engine
// then asks its planner with s.RetryContext() and sets s.Plan.
func NeedsPlan(s Situation) bool {
	inv := s.Invoice
	if !inv.FailurePending() {
		return false
	}
	spec := s.Preset
	if inv.Run != nil {
		spec = inv.Run.Preset
		if inv.Run.RetriesLeft() == 0 {
			return false
		}
	}
	return spec.RetriesEnabled && spec.SmartRetries
}

func (d *decider) onFailure() {
	inv := d.inv
	if !inv.FailurePending() {
		return
	}
	first := inv.Run == nil
	if first && !d.do(inv.StartDunning(d.s.PresetID, d.s.Preset, d.s.Settings, d.s.Now)) {
		return
	}
	run := inv.Run
	if run.Settings.FailedPaymentEmails {
		d.do(inv.ScheduleReminder(ReminderPaymentFailed, d.s.Now, d.s.Now))
	}
	if first && run.Preset.RetriesEnabled {
		d.duringRecovery()
	}
	d.planNext()
}

// duringRecovery pauses the subscription or keeps it on as past due.
func (d *decider) duringRecovery() {
	if d.sub == nil {
		return
	}
	switch {
	case d.inv.Run.Preset.DuringRecovery == DuringPause && (d.sub.Status == SubscriptionActive || d.sub.Status == SubscriptionPastDue):
		d.do(d.sub.Pause(ReasonDunning, d.inv.ID, d.s.Now))
	case d.inv.Run.Preset.DuringRecovery == DuringKeepActive && d.sub.Status == SubscriptionActive:
		d.do(d.sub.MarkPastDue(d.inv.ID, d.s.Now))
	}
}

// planNext schedules the run's next retry, blocks the card, or exhausts
// the run.
func (d *decider) planNext() {
	run, now := d.inv.Run, d.s.Now
	if run.RetriesLeft() == 0 {
		d.exhaust()
		return
	}
	r, ok := d.candidate()
	if d.err != nil {
		return
	}
	if !ok {
		d.exhaust()
		return
	}
	if r.At.Before(now) {
		r.At = now
	}
	d.place(r, run.Preset.SmartRetries)
}

// candidate is the retry the preset asks for, before the network rules:
// the planner's choice when one is given, else the manual schedule's next
// gap counted from the last automatic attempt. ok is false when the
// planner says stop.
func (d *decider) candidate() (RetryScheduled, bool) {
	run, now := d.inv.Run, d.s.Now
	r := RetryScheduled{Base: Base{OccurredAt: now}, Source: SourceSchedule, Propensity: 1}
	switch p := d.s.Plan; {
	case p != nil:
		if !p.Retry {
			return r, false
		}
		r.At, r.Source, r.ModelVersion, r.Score, r.Propensity = p.At, p.Source, p.ModelVersion, p.Probability, p.Propensity
		if r.Source == "" {
			r.Source = SourceSmart
		}
	case run.Preset.SmartRetries:
		d.err = stateErr(ErrPlanRequired, d.inv.subject(), "plan", "preset %q uses smart retries", run.Preset.Name)
		return r, false
	default:
		gap := run.Preset.Schedule[run.RetriesUsed]
		r.At = run.LastAutoAttemptAt.Add(time.Duration(gap) * day)
	}
	return r, true
}

// place moves a retry to the earliest time the network rules allow and
// schedules it; a card that may never be retried blocks the run until its
// deadline; a smart run whose window has closed is exhausted.
func (d *decider) place(r RetryScheduled, windowed bool) {
	inv, now := d.inv, d.s.Now
	earliest, rule := EarliestRetry(d.s.Card, r.At)
	if earliest.IsZero() {
		if !inv.Run.Deadline().After(now) {
			d.exhaust()
			return
		}
		d.do(inv.BlockRetries(rule, now))
		return
	}
	if windowed && earliest.After(inv.Run.Deadline()) {
		d.exhaust()
		return
	}
	if earliest.After(r.At) {
		r.At, r.Rule = earliest, rule
	}
	d.do(inv.ScheduleRetry(r))
}

// exhaust ends the run and applies the preset's outcome to the
// subscription and the invoice.
func (d *decider) exhaust() {
	inv, now := d.inv, d.s.Now
	if !d.do(inv.Exhaust(now)) {
		return
	}
	p := inv.Run.Preset
	switch p.AfterInvoice {
	case InvoiceWriteOff:
		d.do(inv.WriteOff(now))
	case InvoiceLeaveOverdue:
		d.do(inv.LeaveOverdue(nil, now))
	case InvoiceLeaveOverdueDays:
		t := now.Add(time.Duration(p.OverdueDays) * day)
		d.do(inv.LeaveOverdue(&t, now))
	}
	if d.sub == nil || d.sub.Status == SubscriptionCanceledSt {
		return
	}
	switch p.AfterSub {
	case AfterCancel:
		d.do(d.sub.Cancel(ReasonPaymentFailed, inv.ID, now))
	case AfterPause:
		if d.sub.Status != SubscriptionPausedSt {
			d.do(d.sub.Pause(ReasonPaymentFailed, inv.ID, now))
		}
	case AfterKeepActive:
		if d.held() {
			d.do(d.sub.Resume(ReasonKeepActive, inv.ID, now))
		}
	}
}
