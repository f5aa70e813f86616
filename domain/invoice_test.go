package domain

import (
	"testing"
	"time"
)

func finalized(amount int64) InvoiceFinalized {
	return InvoiceFinalized{Base: at(0), InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1", ProductID: "prod_1",
		PaymentMethodID: "pm_1", Amount: amount, Currency: "usd", CollectionMethod: ChargeAutomatically, AutoAdvance: true}
}

func attempt(n int, d time.Duration, outcome Outcome, decline string) PaymentAttempted {
	ini := InitiatorRetry
	if n == 1 {
		ini = InitiatorInitial
	}
	return PaymentAttempted{Base: at(d), InvoiceID: "in_1", PaymentMethodID: "pm_1", AttemptNumber: n, Amount: 1000,
		Currency: "usd", Outcome: outcome, DeclineCode: decline, Network: Visa, Initiator: ini}
}

func TestInvoice(t *testing.T) {
	open := []Event{finalized(1000)}
	failed := append(open, attempt(1, 0, Failed, "insufficient_funds"))
	uncollectible := append(failed, InvoiceMarkedUncollectible{Base: at(time.Hour), InvoiceID: "in_1"})
	paid := append(failed, attempt(2, day, Succeeded, ""), PaymentSucceeded{InvoiceID: "in_1", Amount: 1000}, InvoicePaid{InvoiceID: "in_1", AmountPaid: 1000})
	void := append(open, InvoiceVoided{InvoiceID: "in_1"})
	h := time.Hour
	runScenarios(t, RebuildInvoice, []scenario[*Invoice]{
		{name: "draft_to_open", given: []Event{InvoiceCreated{InvoiceID: "in_1", CustomerID: "cus_1"}},
			when: func(i *Invoice) ([]Event, error) { return i.Finalize(finalized(1000)) }, then: []Event{finalized(1000)}},
		{name: "finalize_zero_amount_is_paid_at_once",
			when: func(i *Invoice) ([]Event, error) { return i.Finalize(finalized(0)) },
			then: []Event{finalized(0), InvoicePaid{Base: at(0), InvoiceID: "in_1"}}},
		{name: "finalize_negative_amount_and_bad_fields_refused",
			when: func(i *Invoice) ([]Event, error) {
				f := finalized(-1)
				f.Currency, f.CollectionMethod, f.CustomerID = "USD", SendInvoice, ""
				return i.Finalize(f)
			}, err: ErrValidation, fields: []string{"customer_id", "amount", "currency", "due_date"}},
		{name: "finalize_open_invoice_refused", given: open,
			when: func(i *Invoice) ([]Event, error) { return i.Finalize(finalized(1000)) }, err: ErrInvalidTransition},
		{name: "failed_attempt_recorded", given: open,
			when: func(i *Invoice) ([]Event, error) { return i.RecordAttempt(attempt(1, 0, Failed, "do_not_honor")) },
			then: []Event{attempt(1, 0, Failed, "do_not_honor")}},
		{name: "successful_attempt_pays", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.RecordAttempt(attempt(2, h, Succeeded, "")) },
			then: []Event{attempt(2, h, Succeeded, ""), PaymentSucceeded{Base: at(h), InvoiceID: "in_1", Amount: 1000, AttemptNumber: 2},
				InvoicePaid{Base: at(h), InvoiceID: "in_1", AmountPaid: 1000}}},
		{name: "attempt_number_must_follow_attempt_count", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.RecordAttempt(attempt(1, h, Failed, "")) },
			err:  ErrValidation, fields: []string{"attempt_number"}},
		{name: "attempt_bad_fields_all_named", given: open,
			when: func(i *Invoice) ([]Event, error) {
				a := attempt(1, 0, "maybe", "no_such_code")
				a.Amount, a.AdviceCode, a.Initiator, a.Propensity = 1001, "3", "robot", 2
				return i.RecordAttempt(a)
			}, err: ErrValidation, fields: []string{"amount", "outcome", "decline_code", "advice_code", "initiator", "propensity"}},
		{name: "uncollectible_can_still_be_paid", given: uncollectible,
			when: func(i *Invoice) ([]Event, error) {
				a := attempt(2, 2*h, Succeeded, "")
				a.Initiator = InitiatorCustomer
				return i.RecordAttempt(a)
			},
			then: []Event{func() Event { a := attempt(2, 2*h, Succeeded, ""); a.Initiator = InitiatorCustomer; return a }(),
				PaymentSucceeded{Base: at(2 * h), InvoiceID: "in_1", Amount: 1000, AttemptNumber: 2},
				InvoicePaid{Base: at(2 * h), InvoiceID: "in_1", AmountPaid: 1000}}},
		{name: "paid_is_final", given: paid,
			when: func(i *Invoice) ([]Event, error) { return i.MarkUncollectible("x", t0) }, err: ErrInvalidTransition},
		{name: "paid_takes_no_payment", given: paid,
			when: func(i *Invoice) ([]Event, error) { return i.RecordAttempt(attempt(3, h, Succeeded, "")) }, err: ErrInvalidTransition},
		{name: "void_is_final", given: void,
			when: func(i *Invoice) ([]Event, error) { return i.ReceivePartialPayment(10, t0) }, err: ErrInvalidTransition},
		{name: "void_cannot_reopen", given: void,
			when: func(i *Invoice) ([]Event, error) { return i.Finalize(finalized(1000)) }, err: ErrInvalidTransition},
		{name: "draft_cannot_be_voided", given: []Event{InvoiceCreated{InvoiceID: "in_1", CustomerID: "cus_1"}},
			when: func(i *Invoice) ([]Event, error) { return i.Void(t0) }, err: ErrInvalidTransition},
		{name: "open_to_uncollectible", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.MarkUncollectible("past_due_days", t0) },
			then: []Event{InvoiceMarkedUncollectible{Base: at(0), InvoiceID: "in_1", Reason: "past_due_days"}}},
		{name: "uncollectible_to_void", given: uncollectible,
			when: func(i *Invoice) ([]Event, error) { return i.Void(t0) }, then: []Event{InvoiceVoided{Base: at(0), InvoiceID: "in_1"}}},
		{name: "partial_payment", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.ReceivePartialPayment(600, t0) },
			then: []Event{PartialPaymentReceived{Base: at(0), InvoiceID: "in_1", Amount: 600}}},
		{name: "partial_payment_over_remaining_refused", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.ReceivePartialPayment(1001, t0) }, err: ErrValidation, fields: []string{"amount"}},
		{name: "negative_payment_refused", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.ReceivePartialPayment(-1, t0) }, err: ErrValidation, fields: []string{"amount"}},
		{name: "reconcile_credits_rest_and_pays", given: append(failed, PartialPaymentReceived{InvoiceID: "in_1", Amount: 950}),
			when: func(i *Invoice) ([]Event, error) { return i.Reconcile(t0) },
			then: []Event{InvoiceReconciled{Base: at(0), InvoiceID: "in_1", CreditAmount: 50}, InvoicePaid{Base: at(0), InvoiceID: "in_1", AmountPaid: 950}}},
		{name: "write_off_makes_uncollectible", given: failed,
			when: func(i *Invoice) ([]Event, error) { return i.WriteOff(t0) },
			then: []Event{InvoiceWrittenOff{Base: at(0), InvoiceID: "in_1", Amount: 1000}, InvoiceMarkedUncollectible{Base: at(0), InvoiceID: "in_1", Reason: "written_off"}}},
		{name: "start_dunning_twice_refused", given: append(failed, DunningStarted{InvoiceID: "in_1", Preset: DefaultPresetSpec()}),
			when: func(i *Invoice) ([]Event, error) {
				return i.StartDunning("default", DefaultPresetSpec(), DefaultCollectionSettings(), t0)
			}, err: ErrAlreadyExists},
		{name: "start_dunning_with_invalid_snapshot_refused", given: failed,
			when: func(i *Invoice) ([]Event, error) {
				return i.StartDunning("x", manual(0), DefaultCollectionSettings(), t0)
			},
			err: ErrValidation, fields: []string{"preset.schedule[0]"}},
		{name: "retry_without_retries_left_refused", given: append(failed, DunningStarted{InvoiceID: "in_1", Preset: manual(1)},
			RetryScheduled{InvoiceID: "in_1", At: t0.Add(day)}, attempt(2, day, Failed, "do_not_honor")),
			when: func(i *Invoice) ([]Event, error) {
				return i.ScheduleRetry(RetryScheduled{Base: at(day), At: t0.Add(2 * day), Source: SourceSchedule})
			}, err: ErrInvalidTransition},
		{name: "retry_in_the_past_refused", given: append(failed, DunningStarted{InvoiceID: "in_1", Preset: manual(1)}),
			when: func(i *Invoice) ([]Event, error) {
				return i.ScheduleRetry(RetryScheduled{Base: at(day), At: t0, Source: "guess"})
			}, err: ErrValidation, fields: []string{"at", "source"}},
	})
}

func TestInvoiceState(t *testing.T) {
	inv := RebuildInvoice([]Event{finalized(1000)})
	if inv.NextPaymentAttempt == nil || !inv.NextPaymentAttempt.Equal(t0) {
		t.Fatalf("an auto-advancing invoice awaits its first charge at finalization: %v", inv.NextPaymentAttempt)
	}
	inv = RebuildInvoice([]Event{finalized(1000), attempt(1, 0, Failed, "insufficient_funds"),
		DunningStarted{Base: at(0), InvoiceID: "in_1", Preset: DefaultPresetSpec()},
		RetryScheduled{InvoiceID: "in_1", At: t0.Add(day), Source: SourceSchedule},
	})
	if inv.AttemptCount != 1 || inv.NextPaymentAttempt == nil || !inv.NextPaymentAttempt.Equal(t0.Add(day)) {
		t.Fatalf("attempt_count %d, next_payment_attempt %v", inv.AttemptCount, inv.NextPaymentAttempt)
	}
	inv.Apply(attempt(2, day, Succeeded, ""))
	inv.Apply(PaymentSucceeded{InvoiceID: "in_1", Amount: 400})
	inv.Apply(PartialPaymentReceived{InvoiceID: "in_1", Amount: 500})
	if inv.AmountPaid != 900 || inv.AmountRemaining != 100 || inv.AttemptCount != 2 || inv.NextPaymentAttempt != nil || inv.Run.RetriesUsed != 1 {
		t.Fatalf("paid %d remaining %d count %d next %v retries %d", inv.AmountPaid, inv.AmountRemaining, inv.AttemptCount, inv.NextPaymentAttempt, inv.Run.RetriesUsed)
	}
	inv.Apply(InvoiceReconciled{InvoiceID: "in_1", CreditAmount: 100})
	inv.Apply(InvoicePaid{InvoiceID: "in_1", AmountPaid: 900})
	if inv.Status != InvoicePaidStatus || inv.AmountRemaining != 0 || inv.AmountCredited != 100 || inv.Run.Active() || inv.Version != 9 {
		t.Fatalf("after reconcile: %+v", inv)
	}
}

func subStarted() SubscriptionStarted {
	return SubscriptionStarted{Base: at(0), SubscriptionID: "sub_1", CustomerID: "cus_1", ProductID: "prod_1",
		PaymentMethodID: "pm_1", Amount: 1000, Currency: "usd", Interval: Month, IntervalCount: 1}
}

func TestSubscription(t *testing.T) {
	active := []Event{subStarted()}
	paused := append(active, SubscriptionPaused{SubscriptionID: "sub_1", Reason: "dunning", InvoiceID: "in_1"})
	canceled := append(active, SubscriptionCanceled{SubscriptionID: "sub_1", Reason: "payment_failed"})
	runScenarios(t, RebuildSubscription, []scenario[*Subscription]{
		{name: "start", when: func(s *Subscription) ([]Event, error) { return s.Start(subStarted()) }, then: []Event{subStarted()}},
		{name: "start_bad_fields_all_named", when: func(s *Subscription) ([]Event, error) {
			c := subStarted()
			c.Amount, c.Currency, c.Interval, c.IntervalCount = -1, "", "week", 0
			return s.Start(c)
		}, err: ErrValidation, fields: []string{"amount", "currency", "interval", "interval_count"}},
		{name: "pause_active", given: active, when: func(s *Subscription) ([]Event, error) { return s.Pause("dunning", "in_1", t0) },
			then: []Event{SubscriptionPaused{Base: at(0), SubscriptionID: "sub_1", Reason: "dunning", InvoiceID: "in_1"}}},
		{name: "pause_needs_reason", given: active, when: func(s *Subscription) ([]Event, error) { return s.Pause("", "in_1", t0) },
			err: ErrValidation, fields: []string{"reason"}},
		{name: "past_due_active", given: active, when: func(s *Subscription) ([]Event, error) { return s.MarkPastDue("in_1", t0) },
			then: []Event{SubscriptionMarkedPastDue{Base: at(0), SubscriptionID: "sub_1", InvoiceID: "in_1"}}},
		{name: "resume_paused", given: paused, when: func(s *Subscription) ([]Event, error) { return s.Resume("payment_recovered", "in_1", t0) },
			then: []Event{SubscriptionResumed{Base: at(0), SubscriptionID: "sub_1", Reason: "payment_recovered", InvoiceID: "in_1"}}},
		{name: "resume_active_refused", given: active, when: func(s *Subscription) ([]Event, error) { return s.Resume("x", "", t0) }, err: ErrInvalidTransition},
		{name: "cancel_with_reason", given: paused, when: func(s *Subscription) ([]Event, error) { return s.Cancel("payment_failed", "in_1", t0) },
			then: []Event{SubscriptionCanceled{Base: at(0), SubscriptionID: "sub_1", Reason: "payment_failed", InvoiceID: "in_1"}}},
		{name: "canceled_is_final", given: canceled, when: func(s *Subscription) ([]Event, error) { return s.Resume("x", "", t0) }, err: ErrInvalidTransition},
		{name: "canceled_cannot_pause", given: canceled, when: func(s *Subscription) ([]Event, error) { return s.Pause("x", "", t0) }, err: ErrInvalidTransition},
		{name: "missing_subscription", when: func(s *Subscription) ([]Event, error) { return s.Pause("x", "", t0) }, err: ErrNotFound},
	})
	s := RebuildSubscription(paused)
	if s.Status != SubscriptionPausedSt || s.HeldBy != "in_1" || s.Reason != "dunning" {
		t.Fatalf("paused state %+v", s)
	}
	s = RebuildSubscription(canceled)
	if s.Status != SubscriptionCanceledSt || s.Reason != "payment_failed" || s.CanceledAt == nil {
		t.Fatalf("canceled state %+v", s)
	}
}

// TestCloneIsIndependent: a clone and its original may each record
// attempts and reminders (as a decision applies the events it returns)
// without either seeing the other's.
func TestCloneIsIndependent(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	inv := &Invoice{}
	inv.Apply(InvoiceFinalized{Base: Base{OccurredAt: at}, InvoiceID: "in_1", CustomerID: "cus_1", PaymentMethodID: "pm_1",
		Amount: 1000, Currency: "usd", CollectionMethod: ChargeAutomatically, AutoAdvance: true})
	try := func(n int) PaymentAttempted {
		return PaymentAttempted{Base: Base{OccurredAt: at.Add(time.Duration(n) * time.Hour)}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
			AttemptNumber: n, Amount: 1000, Currency: "usd", Outcome: Failed, DeclineCode: "insufficient_funds", Initiator: InitiatorRetry}
	}
	inv.Apply(try(1))
	inv.Apply(ReminderScheduled{Base: Base{OccurredAt: at}, InvoiceID: "in_1", Kind: ReminderPaymentFailed, At: at.Add(time.Hour)})
	inv.Attempts = append(make([]PaymentAttempted, 0, 8), inv.Attempts...) // spare capacity both sides could write into
	c := inv.Clone()
	c.Apply(try(2))
	inv.Apply(try(3))
	c.Apply(ReminderSent{Base: Base{OccurredAt: at.Add(time.Hour)}, InvoiceID: "in_1", Kind: ReminderPaymentFailed})
	if len(c.Attempts) != 2 || c.Attempts[1].AttemptNumber != 2 || len(inv.Attempts) != 2 || inv.Attempts[1].AttemptNumber != 3 {
		t.Fatalf("attempts: clone %v, original %v", numbers(c.Attempts), numbers(inv.Attempts))
	}
	if !c.Reminders[0].Sent || inv.Reminders[0].Sent {
		t.Fatalf("a reminder sent on the clone: clone %+v, original %+v", c.Reminders, inv.Reminders)
	}
}

func numbers(as []PaymentAttempted) []int {
	var out []int
	for _, a := range as {
		out = append(out, a.AttemptNumber)
	}
	return out
}
