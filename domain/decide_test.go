package domain

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func subInvoice() InvoiceFinalized { return finalized(1000) }

func oneOffSendInvoice(due time.Time) InvoiceFinalized {
	f := finalized(1000)
	f.SubscriptionID, f.CollectionMethod, f.DueDate, f.AutoAdvance, f.PaymentMethodID = "", SendInvoice, &due, true, ""
	return f
}

type decideCase struct {
	name     string
	preset   PresetSpec
	settings CollectionSettings
	setup    func(l *ledger)
	until    time.Duration
	check    func(t *testing.T, l *ledger)
}

func wantAttempts(t *testing.T, l *ledger, want ...time.Duration) {
	t.Helper()
	if got := l.attemptTimes(); !slices.Equal(got, want) {
		t.Fatalf("attempts at %v, want %v", got, want)
	}
}

func wantSub(t *testing.T, l *ledger, status SubscriptionStatus, reason string) {
	t.Helper()
	if l.sub.Status != status || l.sub.Reason != reason {
		t.Fatalf("subscription %s (%s), want %s (%s)", l.sub.Status, l.sub.Reason, status, reason)
	}
}

func wantInvoice(t *testing.T, l *ledger, status InvoiceStatus) {
	t.Helper()
	if l.inv.Status != status {
		t.Fatalf("invoice %s, want %s", l.inv.Status, status)
	}
}

func noSettings() CollectionSettings { return CollectionSettings{} }

func TestDecide(t *testing.T) {
	defaults := DefaultCollectionSettings()
	keepActive := with(DefaultPresetSpec(), func(p *PresetSpec) { p.DuringRecovery, p.AfterSub = DuringKeepActive, AfterKeepActive })
	tests := []decideCase{
		{name: "metrifox_default_preset_three_retries_over_7_days_pause_then_cancel_and_leave_overdue",
			preset: DefaultPresetSpec(), settings: defaults, until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 1, 3, 7)...)
				if p := eventsOf[SubscriptionPaused](l.log); len(p) != 1 || !p[0].OccurredAt.Equal(t0) || p[0].Reason != ReasonDunning {
					t.Fatalf("paused during recovery: %+v", p)
				}
				wantSub(t, l, SubscriptionCanceledSt, ReasonPaymentFailed)
				wantInvoice(t, l, InvoiceOpen)
				if !l.inv.LeftOverdue || l.inv.UncollectibleAt != nil || l.inv.NextPaymentAttempt != nil {
					t.Fatalf("left overdue %v, uncollectible at %v, next %v", l.inv.LeftOverdue, l.inv.UncollectibleAt, l.inv.NextPaymentAttempt)
				}
				if ex := eventsOf[DunningExhausted](l.log); len(ex) != 1 || !ex[0].OccurredAt.Equal(t0.Add(7*day)) || ex[0].Attempts != 4 {
					t.Fatalf("exhausted: %+v", ex)
				}
			}},
		{name: "metrifox_retries_off_applies_the_outcome_at_the_first_failure",
			preset: with(DefaultPresetSpec(), func(p *PresetSpec) { p.RetriesEnabled = false }), settings: defaults, until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, 0)
				if len(eventsOf[SubscriptionPaused](l.log)) != 0 {
					t.Fatal("paused although there is no recovery period")
				}
				wantSub(t, l, SubscriptionCanceledSt, ReasonPaymentFailed)
				if len(eventsOf[RetryScheduled](l.log)) != 0 || l.inv.NextPaymentAttempt != nil {
					t.Fatal("retries scheduled with retries off")
				}
			}},
		{name: "metrifox_manual_schedule_days_between_retries",
			preset: manual(2, 5, 1), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) { wantAttempts(t, l, days(0, 2, 7, 8)...) }},
		{name: "metrifox_manual_schedule_of_8_retries_runs_all_8",
			preset: manual(1, 1, 1, 1, 1, 1, 1, 1), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) { wantAttempts(t, l, days(0, 1, 2, 3, 4, 5, 6, 7, 8)...) }},
		{name: "metrifox_smart_retries_take_the_planners_times",
			preset: smart(3, 7), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.planner = func(rc RetryContext) RetryPlan {
					if rc.RetriesLeft < 1 || rc.Preset.SmartWindowDays != 7 || !rc.WindowEnd.Equal(t0.Add(7*day)) {
						t.Errorf("planner context: left %d, window %v", rc.RetriesLeft, rc.WindowEnd)
					}
					return RetryPlan{Retry: true, At: rc.Now.Add(36 * time.Hour), Source: SourceSmart, ModelVersion: "m7", Probability: 0.3, Propensity: 0.9}
				}
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 1.5, 3, 4.5)...)
				rs := eventsOf[RetryScheduled](l.log)
				if len(rs) != 3 || rs[0].Source != SourceSmart || rs[0].ModelVersion != "m7" || rs[0].Score != 0.3 || rs[0].Propensity != 0.9 {
					t.Fatalf("smart retries: %+v", rs)
				}
				if a := eventsOf[PaymentAttempted](l.log); a[1].Source != SourceSmart || a[1].Propensity != 0.9 {
					t.Fatalf("attempt does not carry the source and propensity: %+v", a[1])
				}
			}},
		{name: "metrifox_smart_retry_past_the_window_exhausts",
			preset: smart(3, 7), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.planner = func(rc RetryContext) RetryPlan {
					return RetryPlan{Retry: true, At: rc.Now.Add(5 * day), Source: SourceSmart}
				}
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 5)...)
				wantSub(t, l, SubscriptionCanceledSt, ReasonPaymentFailed)
			}},
		{name: "metrifox_smart_planner_stop_exhausts",
			preset: smart(3, 7), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.planner = func(RetryContext) RetryPlan { return RetryPlan{Retry: false} }
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, 0)
				wantSub(t, l, SubscriptionCanceledSt, ReasonPaymentFailed)
			}},
		{name: "metrifox_keep_active_during_recovery_marks_past_due_then_keep_active_after",
			preset: keepActive, settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				if pd := eventsOf[SubscriptionMarkedPastDue](l.log); len(pd) != 1 || len(eventsOf[SubscriptionPaused](l.log)) != 0 {
					t.Fatalf("during recovery: past due %v, paused %v", pd, eventsOf[SubscriptionPaused](l.log))
				}
				wantSub(t, l, SubscriptionActive, ReasonKeepActive)
			}},
		{name: "metrifox_pause_during_recovery_resumes_on_payment",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()); l.gateway = succeedOn(3) },
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 1, 3)...)
				wantInvoice(t, l, InvoicePaidStatus)
				wantSub(t, l, SubscriptionActive, ReasonPaymentRecovered)
				if len(eventsOf[DunningExhausted](l.log)) != 0 || l.inv.NextPaymentAttempt != nil {
					t.Fatal("a paid invoice kept dunning")
				}
			}},
		{name: "metrifox_after_failure_pause_subscription",
			preset: with(DefaultPresetSpec(), func(p *PresetSpec) { p.DuringRecovery, p.AfterSub = DuringKeepActive, AfterPause }), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) { wantSub(t, l, SubscriptionPausedSt, ReasonPaymentFailed) }},
		{name: "metrifox_after_failure_pause_keeps_a_paused_subscription_paused",
			preset: with(DefaultPresetSpec(), func(p *PresetSpec) { p.AfterSub = AfterPause }), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantSub(t, l, SubscriptionPausedSt, ReasonDunning)
				if len(eventsOf[SubscriptionPaused](l.log)) != 1 {
					t.Fatal("paused twice")
				}
			}},
		{name: "metrifox_after_failure_write_off",
			preset: with(DefaultPresetSpec(), func(p *PresetSpec) { p.AfterInvoice = InvoiceWriteOff }), settings: defaults, until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantInvoice(t, l, InvoiceUncollectible)
				if wo := eventsOf[InvoiceWrittenOff](l.log); len(wo) != 1 || wo[0].Amount != 1000 || !wo[0].OccurredAt.Equal(t0.Add(7*day)) {
					t.Fatalf("written off: %+v", wo)
				}
				if len(l.sent) != 4 {
					t.Fatalf("the last failure's email must still go out: %d sent", len(l.sent))
				}
			}},
		{name: "metrifox_after_failure_leave_overdue_stays_open",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 400 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantInvoice(t, l, InvoiceOpen)
				if _, ok := l.inv.NextTimer(l.settings); ok {
					t.Fatal("an invoice left overdue for good still has a timer")
				}
			}},
		{name: "metrifox_leave_overdue_N_days_marks_uncollectible_after_N",
			preset: with(DefaultPresetSpec(), func(p *PresetSpec) { p.AfterInvoice, p.OverdueDays = InvoiceLeaveOverdueDays, 5 }), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantInvoice(t, l, InvoiceUncollectible)
				u := eventsOf[InvoiceMarkedUncollectible](l.log)
				if len(u) != 1 || !u[0].OccurredAt.Equal(t0.Add(12*day)) || u[0].Reason != ReasonOverdueDays {
					t.Fatalf("uncollectible: %+v", u)
				}
			}},
		{name: "metrifox_run_keeps_its_preset_snapshot",
			preset: manual(1, 1, 1), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.runUntil(0)
				// The preset is edited (or the default changed) mid-run.
				l.preset, l.presetID = manual(10), "dp_2"
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 1, 2, 3)...)
				if ds := eventsOf[DunningStarted](l.log); len(ds) != 1 || ds[0].PresetID != "dp_1" || len(ds[0].Preset.Schedule) != 3 {
					t.Fatalf("snapshot: %+v", ds)
				}
			}},
		{name: "metrifox_per_product_preset_starts_the_run",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				presets := map[string]*Preset{"dp_9": RebuildPreset([]Event{presetCreated("dp_9", manual(3))})}
				product := RebuildProduct([]Event{ProductCreated{ProductID: "prod_1"}, ProductPresetAssigned{ProductID: "prod_1", PresetID: "dp_9"}})
				l.presetID, l.preset = ResolvePreset(product, RebuildSettings(nil), func(id string) (*Preset, bool) { p, ok := presets[id]; return p, ok })
				l.finalize(subInvoice())
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 3)...)
				if l.inv.Run.PresetID != "dp_9" {
					t.Fatalf("run preset %s", l.inv.Run.PresetID)
				}
			}},
		{name: "stripe_failed_payment_email_after_each_failed_attempt",
			preset: DefaultPresetSpec(), settings: defaults, until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				if len(l.sent) != 4 || l.sent[0].Kind != ReminderPaymentFailed || !l.sent[3].At.Equal(t0.Add(7*day)) {
					t.Fatalf("emails sent: %+v", l.sent)
				}
			}},
		{name: "stripe_failed_payment_emails_off_sends_none",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				if len(l.sent) != 0 {
					t.Fatalf("emails sent: %+v", l.sent)
				}
			}},
		{name: "stripe_email_finalized_send_invoice_invoices",
			preset: DefaultPresetSpec(), settings: CollectionSettings{EmailFinalizedInvoices: true}, until: 60 * day,
			setup: func(l *ledger) { l.finalize(oneOffSendInvoice(t0.Add(30 * day))) },
			check: func(t *testing.T, l *ledger) {
				if len(l.sent) != 1 || l.sent[0].Kind != ReminderInvoiceFinalized || !l.sent[0].At.Equal(t0) {
					t.Fatalf("emails sent: %+v", l.sent)
				}
				wantAttempts(t, l)
			}},
		{name: "stripe_no_finalized_email_for_charge_automatically",
			preset: DefaultPresetSpec(), settings: CollectionSettings{EmailFinalizedInvoices: true}, until: 60 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()); l.gateway = succeedOn(1) },
			check: func(t *testing.T, l *ledger) {
				if len(l.sent) != 0 {
					t.Fatalf("emails sent: %+v", l.sent)
				}
			}},
		{name: "stripe_reminders_before_on_after_due_for_one_off_invoices",
			preset: DefaultPresetSpec(), settings: CollectionSettings{RemindBeforeDueDays: []int{7, 1, 45}, RemindOnDue: true, RemindAfterDueDays: []int{3}}, until: 60 * day,
			setup: func(l *ledger) { l.finalize(oneOffSendInvoice(t0.Add(30 * day))) },
			check: func(t *testing.T, l *ledger) {
				var got []string
				for _, r := range l.sent {
					got = append(got, string(r.Kind)+"@"+r.At.Sub(t0).String())
				}
				want := []string{"before_due@552h0m0s", "before_due@696h0m0s", "on_due@720h0m0s", "after_due@792h0m0s"}
				if !slices.Equal(got, want) {
					t.Fatalf("reminders %v, want %v (45 days before is before finalization)", got, want)
				}
			}},
		{name: "stripe_reminders_lapse_once_paid",
			preset: DefaultPresetSpec(), settings: CollectionSettings{RemindOnDue: true, RemindAfterDueDays: []int{3}}, until: 60 * day,
			setup: func(l *ledger) {
				l.finalize(oneOffSendInvoice(t0.Add(30 * day)))
				l.runUntil(10 * day)
				evs, err := l.inv.ReceivePartialPayment(1000, l.now)
				if err != nil {
					t.Fatal(err)
				}
				l.apply(evs...)
			},
			check: func(t *testing.T, l *ledger) {
				if len(l.sent) != 0 {
					t.Fatalf("reminders sent for a paid invoice: %+v", l.sent)
				}
			}},
		{name: "stripe_no_due_reminders_for_subscription_invoices",
			preset: DefaultPresetSpec(), settings: CollectionSettings{RemindBeforeDueDays: []int{3}, RemindOnDue: true}, until: 60 * day,
			setup: func(l *ledger) {
				f := oneOffSendInvoice(t0.Add(30 * day))
				f.SubscriptionID = "sub_1"
				l.finalize(f)
			},
			check: func(t *testing.T, l *ledger) {
				if len(l.sent) != 0 {
					t.Fatalf("reminders: %+v", l.sent)
				}
			}},
		{name: "stripe_mark_uncollectible_30_days_past_due", preset: DefaultPresetSpec(), settings: CollectionSettings{UncollectibleAfterDays: 30}, until: 200 * day,
			setup: func(l *ledger) { l.finalize(oneOffSendInvoice(t0.Add(10 * day))) },
			check: uncollectibleAt(40*day, ReasonPastDueDays)},
		{name: "stripe_mark_uncollectible_60_days_past_due", preset: DefaultPresetSpec(), settings: CollectionSettings{UncollectibleAfterDays: 60}, until: 200 * day,
			setup: func(l *ledger) { l.finalize(oneOffSendInvoice(t0.Add(10 * day))) },
			check: uncollectibleAt(70*day, ReasonPastDueDays)},
		{name: "stripe_mark_uncollectible_90_days_past_due", preset: DefaultPresetSpec(), settings: CollectionSettings{UncollectibleAfterDays: 90}, until: 200 * day,
			setup: func(l *ledger) { l.finalize(oneOffSendInvoice(t0.Add(10 * day))) },
			check: uncollectibleAt(100*day, ReasonPastDueDays)},
		{name: "stripe_leave_past_due_when_uncollectible_setting_is_off", preset: DefaultPresetSpec(), settings: noSettings(), until: 400 * day,
			setup: func(l *ledger) { l.finalize(oneOffSendInvoice(t0.Add(10 * day))) },
			check: func(t *testing.T, l *ledger) { wantInvoice(t, l, InvoiceOpen) }},
		{name: "stripe_uncollectible_days_wait_for_the_run_then_apply_to_an_invoice_left_overdue",
			preset: manual(20, 20), settings: CollectionSettings{UncollectibleAfterDays: 30}, until: 200 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 20, 40)...)
				uncollectibleAt(40*day, ReasonPastDueDays)(t, l)
			}},
		{name: "stripe_auto_reconcile_partial_payment_within_threshold",
			preset: DefaultPresetSpec(), settings: CollectionSettings{AutoReconcileThreshold: 50}, until: 60 * day,
			setup: func(l *ledger) {
				l.finalize(oneOffSendInvoice(t0.Add(30 * day)))
				l.runUntil(2 * day)
				evs, _ := l.inv.ReceivePartialPayment(960, l.now)
				l.apply(evs...)
			},
			check: func(t *testing.T, l *ledger) {
				wantInvoice(t, l, InvoicePaidStatus)
				if r := eventsOf[InvoiceReconciled](l.log); len(r) != 1 || r[0].CreditAmount != 40 || !r[0].OccurredAt.Equal(t0.Add(2*day)) {
					t.Fatalf("reconciled: %+v", r)
				}
				if l.inv.AmountPaid != 960 || l.inv.AmountCredited != 40 || l.inv.AmountRemaining != 0 {
					t.Fatalf("amounts paid %d credited %d remaining %d", l.inv.AmountPaid, l.inv.AmountCredited, l.inv.AmountRemaining)
				}
			}},
		{name: "stripe_no_auto_reconcile_above_threshold",
			preset: DefaultPresetSpec(), settings: CollectionSettings{AutoReconcileThreshold: 50}, until: 60 * day,
			setup: func(l *ledger) {
				l.finalize(oneOffSendInvoice(t0.Add(30 * day)))
				evs, _ := l.inv.ReceivePartialPayment(900, l.now)
				l.apply(evs...)
			},
			check: func(t *testing.T, l *ledger) {
				wantInvoice(t, l, InvoiceOpen)
				if l.inv.AmountRemaining != 100 || len(eventsOf[InvoiceReconciled](l.log)) != 0 {
					t.Fatal("reconciled above the threshold")
				}
			}},
		{name: "stripe_next_payment_attempt_set_while_retries_remain_and_null_after_the_last",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 0,
			setup: func(l *ledger) { l.finalize(subInvoice()) },
			check: func(t *testing.T, l *ledger) {
				for i, want := range []*time.Duration{ptr(1 * day), ptr(3 * day), ptr(7 * day), nil} {
					if want == nil {
						l.runUntil(7 * day)
						if l.inv.NextPaymentAttempt != nil || l.inv.AttemptCount != 4 {
							t.Fatalf("after the last retry: next %v, attempt_count %d", l.inv.NextPaymentAttempt, l.inv.AttemptCount)
						}
						return
					}
					if l.inv.NextPaymentAttempt == nil || !l.inv.NextPaymentAttempt.Equal(t0.Add(*want)) || l.inv.AttemptCount != i+1 {
						t.Fatalf("after attempt %d: next %v, attempt_count %d", i+1, l.inv.NextPaymentAttempt, l.inv.AttemptCount)
					}
					l.runUntil(*want)
				}
			}},
		{name: "hard_decline_stops_retries",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()); l.gateway = declineWith("stolen_card", "43", "") },
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, 0)
				if b := eventsOf[RetryBlocked](l.log); len(b) != 1 || b[0].Rule != RuleVisaCategory1 || !b[0].Until.Equal(t0.Add(7*day)) {
					t.Fatalf("blocked: %+v", b)
				}
				if ex := eventsOf[DunningExhausted](l.log); len(ex) != 1 || !ex[0].OccurredAt.Equal(t0.Add(7*day)) {
					t.Fatalf("a blocked run ends at its deadline: %+v", ex)
				}
				wantSub(t, l, SubscriptionCanceledSt, ReasonPaymentFailed)
			}},
		{name: "mastercard_advice_code_03_stops_retries",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.card.Network = Mastercard
				l.finalize(subInvoice())
				l.gateway = declineWith("do_not_honor", "05", "03")
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, 0)
				if b := eventsOf[RetryBlocked](l.log); len(b) != 1 || b[0].Rule != RuleMastercardAdvice3 {
					t.Fatalf("blocked: %+v", b)
				}
			}},
		{name: "card_update_restarts_eligibility",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.gateway = declineWith("stolen_card", "43", "")
				l.runUntil(2 * day)
				l.apply(PaymentMethodUpdated{Base: Base{OccurredAt: l.now}, PaymentMethodID: "pm_1", Source: UpdatedByCustomer, NewNumber: true})
				evs, err := OnPaymentMethodChanged(l.situation())
				if err != nil {
					t.Fatal(err)
				}
				l.apply(evs...)
				l.gateway = succeedOn(1)
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 2)...)
				wantInvoice(t, l, InvoicePaidStatus)
				wantSub(t, l, SubscriptionActive, ReasonPaymentRecovered)
			}},
		{name: "new_payment_method_restarts_eligibility_and_is_charged",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.gateway = declineWith("lost_card", "41", "")
				l.runUntil(time.Hour)
				l.card = CardHistory{PaymentMethodID: "pm_2", Network: Mastercard}
				evs, _ := OnPaymentMethodChanged(l.situation())
				l.apply(evs...)
				l.gateway = succeedOn(1)
			},
			check: func(t *testing.T, l *ledger) {
				a := eventsOf[PaymentAttempted](l.log)
				if len(a) != 2 || a[1].PaymentMethodID != "pm_2" || !a[1].OccurredAt.Equal(t0.Add(time.Hour)) {
					t.Fatalf("attempts: %+v", a)
				}
				wantInvoice(t, l, InvoicePaidStatus)
			}},
		{name: "card_data_update_keeps_a_stolen_card_blocked",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.gateway = declineWith("stolen_card", "43", "")
				l.runUntil(time.Hour)
				l.apply(PaymentMethodUpdated{Base: Base{OccurredAt: l.now}, PaymentMethodID: "pm_1", ExpYear: 2031})
				evs, _ := OnPaymentMethodChanged(l.situation())
				l.apply(evs...)
			},
			check: func(t *testing.T, l *ledger) { wantAttempts(t, l, 0) }},
		{name: "mastercard_advice_wait_postpones_the_scheduled_retry",
			preset: DefaultPresetSpec(), settings: noSettings(), until: 30 * day,
			setup: func(l *ledger) {
				l.card.Network = Mastercard
				l.finalize(subInvoice())
				l.gateway = declineWith("do_not_honor", "05", "27") // wait 4 days
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, days(0, 4, 8, 12)...)
				if rs := eventsOf[RetryScheduled](l.log); rs[0].Rule != "mastercard.advice27.wait_4d" {
					t.Fatalf("postponement not explained: %+v", rs[0])
				}
			}},
		{name: "visa_cap_postpones_a_retry_at_fire_time",
			preset: manual(1), settings: noSettings(), until: 60 * day,
			setup: func(l *ledger) {
				l.finalize(subInvoice())
				l.runUntil(time.Hour)
				// Other invoices declined 14 times on this card in the meantime.
				for i := range 14 {
					l.card.Add(declined(t0.Add(time.Duration(i+1)*time.Hour), "insufficient_funds", "51", ""))
				}
			},
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, 0, 30*day)
				if rs := eventsOf[RetryScheduled](l.log); len(rs) != 2 || rs[1].Rule != RuleVisaCap30d {
					t.Fatalf("retries: %+v", rs)
				}
			}},
		{name: "initial_charge_at_finalization_then_paid",
			preset: DefaultPresetSpec(), settings: defaults, until: 30 * day,
			setup: func(l *ledger) { l.finalize(subInvoice()); l.gateway = succeedOn(1) },
			check: func(t *testing.T, l *ledger) {
				wantAttempts(t, l, 0)
				wantInvoice(t, l, InvoicePaidStatus)
				if l.inv.Run != nil || len(l.sent) != 0 {
					t.Fatal("a paid first attempt started dunning")
				}
				wantSub(t, l, SubscriptionActive, "")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedger(t, tt.preset, tt.settings)
			tt.setup(l)
			l.runUntil(tt.until)
			tt.check(t, l)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func uncollectibleAt(d time.Duration, reason string) func(*testing.T, *ledger) {
	return func(t *testing.T, l *ledger) {
		t.Helper()
		wantInvoice(t, l, InvoiceUncollectible)
		u := eventsOf[InvoiceMarkedUncollectible](l.log)
		if len(u) != 1 || !u[0].OccurredAt.Equal(t0.Add(d)) || u[0].Reason != reason {
			t.Fatalf("uncollectible: %+v, want at %v for %s", u, d, reason)
		}
	}
}

func TestSmartPresetNeedsAPlan(t *testing.T) {
	l := newLedger(t, smart(3, 7), noSettings())
	l.finalize(subInvoice())
	if err := l.fire(); !errors.Is(err, ErrPlanRequired) {
		t.Fatalf("smart decision without a plan: %v", err)
	}
}
