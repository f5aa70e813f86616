package domain

import (
	"reflect"
	"testing"
	"time"
)

// firstFailure is an invoice whose initial charge just failed.
func firstFailure(decline, network string) []Event {
	a := attempt(1, 0, Failed, decline)
	a.NetworkDeclineCode = network
	return []Event{finalized(1000), a}
}

func situationOf(invEvents []Event, now time.Time) Situation {
	card := CardHistory{PaymentMethodID: "pm_1", Network: Visa}
	for _, e := range invEvents {
		card.Observe(e)
	}
	return Situation{Now: now, Invoice: RebuildInvoice(invEvents), Subscription: RebuildSubscription([]Event{subStarted()}),
		PresetID: "default", Preset: DefaultPresetSpec(), Settings: DefaultCollectionSettings(), Card: card}
}

// TestDecideEvents pins the exact events of single decisions, in the
// Given / When / Then form of the aggregates' tests.
func TestDecideEvents(t *testing.T) {
	now := t0.Add(time.Minute)
	b := Base{OccurredAt: now}
	tests := []struct {
		name  string
		given []Event
		when  func(s Situation) ([]Event, error)
		then  []Event
	}{
		{"first_failure_starts_run_emails_pauses_and_schedules_first_retry",
			firstFailure("insufficient_funds", "51"), OnPaymentFailed,
			[]Event{
				SubscriptionPaused{Base: b, SubscriptionID: "sub_1", Reason: ReasonDunning, InvoiceID: "in_1"},
				DunningStarted{Base: b, InvoiceID: "in_1", SubscriptionID: "sub_1", PresetID: "default", Preset: DefaultPresetSpec(), Settings: DefaultCollectionSettings()},
				ReminderScheduled{Base: b, InvoiceID: "in_1", Kind: ReminderPaymentFailed, At: now},
				RetryScheduled{Base: b, InvoiceID: "in_1", AttemptNumber: 2, At: t0.Add(day), Source: SourceSchedule, Propensity: 1},
			}},
		{"first_failure_hard_decline_blocks_until_the_deadline",
			firstFailure("stolen_card", "43"), OnPaymentFailed,
			[]Event{
				SubscriptionPaused{Base: b, SubscriptionID: "sub_1", Reason: ReasonDunning, InvoiceID: "in_1"},
				DunningStarted{Base: b, InvoiceID: "in_1", SubscriptionID: "sub_1", PresetID: "default", Preset: DefaultPresetSpec(), Settings: DefaultCollectionSettings()},
				ReminderScheduled{Base: b, InvoiceID: "in_1", Kind: ReminderPaymentFailed, At: now},
				RetryBlocked{Base: b, InvoiceID: "in_1", PaymentMethodID: "pm_1", Rule: RuleVisaCategory1, Until: now.Add(7 * day)},
			}},
		{"decision_already_taken_returns_nothing",
			append(firstFailure("insufficient_funds", "51"), DunningStarted{Base: b, InvoiceID: "in_1", Preset: DefaultPresetSpec()},
				RetryScheduled{Base: b, InvoiceID: "in_1", At: t0.Add(day), Source: SourceSchedule}),
			OnPaymentFailed, nil},
		{"customer_attempt_failing_mid_run_changes_nothing",
			append(firstFailure("insufficient_funds", "51"), DunningStarted{Base: b, InvoiceID: "in_1", Preset: DefaultPresetSpec()},
				RetryScheduled{Base: b, InvoiceID: "in_1", At: t0.Add(day), Source: SourceSchedule},
				func() Event {
					a := attempt(2, time.Hour, Failed, "insufficient_funds")
					a.Initiator = InitiatorCustomer
					return a
				}()),
			OnPaymentFailed, nil},
		{"exploration_choice_replaces_the_manual_time",
			firstFailure("insufficient_funds", "51"),
			func(s Situation) ([]Event, error) {
				s.Subscription, s.Settings = nil, CollectionSettings{}
				s.Plan = &RetryPlan{Retry: true, At: t0.Add(40 * time.Hour), Source: SourceExplore, Propensity: 0.05}
				return OnPaymentFailed(s)
			},
			[]Event{
				DunningStarted{Base: b, InvoiceID: "in_1", SubscriptionID: "sub_1", PresetID: "default", Preset: DefaultPresetSpec()},
				RetryScheduled{Base: b, InvoiceID: "in_1", AttemptNumber: 2, At: t0.Add(40 * time.Hour), Source: SourceExplore, Propensity: 0.05},
			}},
		{"card_update_moves_a_pending_retry_to_now",
			append(firstFailure("insufficient_funds", "51"), DunningStarted{Base: b, InvoiceID: "in_1", Preset: DefaultPresetSpec()},
				RetryScheduled{Base: b, InvoiceID: "in_1", At: t0.Add(day), Source: SourceSchedule}),
			func(s Situation) ([]Event, error) {
				s.Card = CardHistory{PaymentMethodID: "pm_2", Network: Visa}
				return OnPaymentMethodChanged(s)
			},
			[]Event{RetryScheduled{Base: b, InvoiceID: "in_1", AttemptNumber: 2, At: now, Source: SourceSchedule, Propensity: 1, PaymentMethodID: "pm_2"}}},
		{"voiding_the_invoice_resumes_the_subscription_it_held",
			append(firstFailure("insufficient_funds", "51"), InvoiceVoided{InvoiceID: "in_1"}),
			func(s Situation) ([]Event, error) {
				s.Subscription = RebuildSubscription([]Event{subStarted(), SubscriptionPaused{SubscriptionID: "sub_1", Reason: ReasonDunning, InvoiceID: "in_1"}})
				return OnPayment(s)
			},
			[]Event{SubscriptionResumed{Base: b, SubscriptionID: "sub_1", Reason: ReasonInvoiceVoided, InvoiceID: "in_1"}}},
		{"card_update_without_a_run_does_nothing",
			[]Event{finalized(1000)}, OnPaymentMethodChanged, nil},
		{"payment_resumes_only_the_subscription_it_held",
			append(firstFailure("insufficient_funds", "51"), attempt(2, time.Hour, Succeeded, ""),
				PaymentSucceeded{InvoiceID: "in_1", Amount: 1000}, InvoicePaid{InvoiceID: "in_1"}),
			func(s Situation) ([]Event, error) {
				s.Subscription = RebuildSubscription([]Event{subStarted(), SubscriptionPaused{SubscriptionID: "sub_1", Reason: "customer_request"}})
				return OnPayment(s)
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := situationOf(tt.given, now)
			before := RebuildInvoice(tt.given)
			got, err := tt.when(s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Invoice, before) {
				t.Fatal("the decision changed the caller's invoice")
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("events:\n got %#v\nwant %#v", got, tt.then)
			}
		})
	}
}

// A timer that fires late, after other invoices filled the card's cap
// since the retry was due, postpones from the firing time, not the past.
func TestLateRetryTimerPostponesFromNow(t *testing.T) {
	given := append(firstFailure("insufficient_funds", "51"), DunningStarted{Base: at(0), InvoiceID: "in_1", Preset: DefaultPresetSpec()},
		RetryScheduled{Base: at(0), InvoiceID: "in_1", AttemptNumber: 2, At: t0.Add(day), Source: SourceSchedule, Propensity: 1})
	now := t0.Add(3 * day)
	s := situationOf(given, now)
	for i := range 15 {
		s.Card.Add(declined(t0.Add(day+time.Duration(i+1)*time.Hour), "insufficient_funds", "51", ""))
	}
	due, err := DecideDue(s)
	if err != nil {
		t.Fatal(err)
	}
	if due.Charge != nil || len(due.Events) != 1 {
		t.Fatalf("want one postponement, got %+v", due)
	}
	r, ok := due.Events[0].(RetryScheduled)
	if !ok || r.Rule != RuleVisaCap30d || r.At.Before(now) {
		t.Fatalf("postponed to %+v", due.Events[0])
	}
}

func TestDecideDueIsIdempotent(t *testing.T) {
	s := situationOf(firstFailure("insufficient_funds", "51"), t0.Add(time.Minute))
	a, err := DecideDue(s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DecideDue(s)
	if !reflect.DeepEqual(a, b) || len(a.Events) != 4 {
		t.Fatalf("two calls differ or are empty:\n%+v\n%+v", a, b)
	}
	for _, e := range a.Events {
		if e.StreamName() == InvoiceStream("in_1") {
			s.Invoice.Apply(e)
		} else {
			s.Subscription.Apply(e)
		}
	}
	c, _ := DecideDue(s)
	if len(c.Events) != 0 || c.Charge != nil || len(c.Reminders) != 1 || c.Reminders[0].Kind != ReminderPaymentFailed {
		t.Fatalf("after applying, only the email should be due: %+v", c)
	}
}

// TestRestartMidDunning drives the same invoice twice: once straight,
// once rebuilding every aggregate from the log before each step and
// losing the invoice's half of one decision (a crash between the two
// streams' appends). Both end in the same state with no attempt, email
// or subscription change repeated.
func TestRestartMidDunning(t *testing.T) {
	straight := newLedger(t, DefaultPresetSpec(), DefaultCollectionSettings())
	straight.finalize(subInvoice())
	straight.runUntil(30 * day)

	l := newLedger(t, DefaultPresetSpec(), DefaultCollectionSettings())
	l.finalize(subInvoice())
	crashed := false
	l.lose = func(evs []Event) []Event {
		if crashed {
			return evs
		}
		crashed = true
		var landed []Event
		for _, e := range evs {
			if e.StreamName() != InvoiceStream("in_1") {
				landed = append(landed, e) // only the subscription's append landed
			}
		}
		if len(landed) == 0 {
			t.Fatal("the first failure changed no other stream")
		}
		return landed
	}
	for range 50 {
		// Restart: rebuild from the log.
		var invEvents, subEvents []Event
		for _, e := range l.log {
			switch e.StreamName() {
			case InvoiceStream("in_1"):
				invEvents = append(invEvents, e)
			case SubscriptionStream("sub_1"):
				subEvents = append(subEvents, e)
			}
		}
		l.inv, l.sub = RebuildInvoice(invEvents), RebuildSubscription(subEvents)
		if err := l.fire(); err != nil {
			t.Fatal(err)
		}
		tm, ok := l.inv.NextTimer(l.settings)
		if !ok || tm.At.After(t0.Add(30*day)) {
			break
		}
		if tm.At.After(l.now) {
			l.now = tm.At
		}
	}
	if len(l.charges) != len(straight.charges)+1 || l.charges[0] != l.charges[1] {
		t.Fatalf("the lost attempt must be charged again under the same number: %+v", l.charges)
	}
	if !crashed {
		t.Fatal("the crash was never simulated")
	}
	if got, want := l.attemptTimes(), straight.attemptTimes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("attempts %v, straight run %v", got, want)
	}
	for _, typ := range []string{TypeSubscriptionPaused, TypeSubscriptionCanceled, TypeDunningStarted, TypeDunningExhausted, TypeReminderSent} {
		if got, want := countType(l.log, typ), countType(straight.log, typ); got != want {
			t.Errorf("%s recorded %d times, straight run %d", typ, got, want)
		}
	}
	if l.inv.Status != straight.inv.Status || l.sub.Status != straight.sub.Status || len(l.sent) != len(straight.sent) {
		t.Fatalf("end state differs: %s/%s vs %s/%s", l.inv.Status, l.sub.Status, straight.inv.Status, straight.sub.Status)
	}
}

func countType(log []Event, typ string) int {
	n := 0
	for _, e := range log {
		if e.EventType() == typ {
			n++
		}
	}
	return n
}

func TestManualCloseStopsDunning(t *testing.T) {
	for _, close := range []struct {
		name string
		do   func(*Invoice, time.Time) ([]Event, error)
		want InvoiceStatus
	}{
		{"marked_uncollectible_by_hand_stops_retries", func(i *Invoice, at time.Time) ([]Event, error) { return i.MarkUncollectible("manual", at) }, InvoiceUncollectible},
		{"voided_stops_retries", (*Invoice).Void, InvoiceVoid},
	} {
		t.Run(close.name, func(t *testing.T) {
			l := newLedger(t, DefaultPresetSpec(), DefaultCollectionSettings())
			l.finalize(subInvoice())
			l.runUntil(2 * day)
			evs, err := close.do(l.inv, l.now)
			if err != nil {
				t.Fatal(err)
			}
			l.apply(evs...)
			l.runUntil(30 * day)
			wantAttempts(t, l, days(0, 1)...)
			if l.inv.Status != close.want || l.inv.NextPaymentAttempt != nil || len(eventsOf[DunningExhausted](l.log)) != 0 {
				t.Fatalf("status %s, next %v", l.inv.Status, l.inv.NextPaymentAttempt)
			}
		})
	}
}

func TestTimersAndPlanning(t *testing.T) {
	s := situationOf(firstFailure("insufficient_funds", "51"), t0.Add(time.Minute))
	if tm, ok := s.Invoice.NextTimer(s.Settings); !ok || tm.Kind != TimerDecision || !tm.At.Equal(t0) {
		t.Fatalf("a pending failure decision is due at the attempt: %+v", tm)
	}
	if NeedsPlan(s) {
		t.Fatal("a manual preset needs no plan")
	}
	s.Preset = smart(4, 10)
	if !NeedsPlan(s) {
		t.Fatal("a smart preset's failure decision needs a plan")
	}
	rc := s.RetryContext()
	if rc.InvoiceID != "in_1" || rc.Amount != 1000 || rc.RetriesLeft != 4 || !rc.WindowEnd.Equal(s.Now.Add(10*day)) ||
		len(rc.Attempts) != 1 || len(rc.CardAttempts) != 1 || rc.PaymentMethodID != "pm_1" || rc.Network != Visa {
		t.Fatalf("retry context %+v", rc)
	}

	due := t0.Add(30 * day)
	inv := RebuildInvoice([]Event{oneOffSendInvoice(due), ReminderScheduled{InvoiceID: "in_1", Kind: ReminderOnDue, At: due}})
	ts := inv.Timers(CollectionSettings{UncollectibleAfterDays: 30})
	want := []Timer{{TimerReminder, due}, {TimerUncollectible, due.Add(30 * day)}}
	if !reflect.DeepEqual(ts, want) {
		t.Fatalf("timers %+v, want %+v", ts, want)
	}
}

func BenchmarkDecideDueFailure(b *testing.B) {
	s := situationOf(firstFailure("insufficient_funds", "51"), t0.Add(time.Minute))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecideDue(s); err != nil {
			b.Fatal(err)
		}
	}
}
