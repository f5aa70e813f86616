package dunning_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// A restart in the middle of dunning (engine and store closed and
// reopened) continues with no attempt, email or webhook repeated or lost;
// a further engine over the finished ledger writes nothing.
func TestScenarioRestartMidDunning(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "insufficient_funds")
	h.advance(at(2 * day)) // attempt 2 made, attempt 3 scheduled for day 3
	if n := len(h.gw.attemptTimes(inv)); n != 1 {
		t.Fatalf("%d retries before restart, want 1", n)
	}
	h.restart()
	h.advance(at(30 * day))

	want := []time.Time{at(day), at(3 * day), at(7 * day)}
	if got := h.gw.attemptTimes(inv); !slices.Equal(got, want) {
		t.Fatalf("retries at %v, want %v", got, want)
	}
	if keys := h.gw.keys(); !slices.Equal(keys, []string{"in_1/2", "in_1/3", "in_1/4"}) {
		t.Fatalf("gateway idempotency keys %v", keys)
	}
	evs := h.events(domain.InvoiceStream(inv))
	var nums []int
	for _, a := range ofType[domain.PaymentAttempted](evs) {
		nums = append(nums, a.AttemptNumber)
	}
	if !slices.Equal(nums, []int{1, 2, 3, 4}) {
		t.Fatalf("attempts %v, want 1..4 once each", nums)
	}
	if n := len(ofType[domain.DunningStarted](evs)); n != 1 {
		t.Fatalf("%d DunningStarted", n)
	}
	if n := len(h.smtp.Messages()); n != 4 {
		t.Fatalf("%d emails, want 4", n)
	}
	seen := map[string]bool{}
	for _, d := range h.hooks.Deliveries() {
		if seen[d.Event.ID] {
			t.Fatalf("webhook %s delivered twice", d.Event.ID)
		}
		seen[d.Event.ID] = true
	}
	if len(seen) != 6 {
		t.Fatalf("%d webhooks, want 6", len(seen))
	}

	before := len(evs)
	h.restart()
	h.advance(at(40 * day))
	if after := len(h.events(domain.InvoiceStream(inv))); after != before {
		t.Fatalf("a fresh engine over a finished ledger wrote %d events", after-before)
	}
	if n := len(h.gw.attemptTimes(inv)); n != 3 {
		t.Fatalf("a fresh engine charged again: %d calls", n)
	}
}

// A hard decline (Visa category 1: stolen card) stops retries at once:
// the run is blocked until its window ends (waiting for a new card), then
// exhausted.
func TestScenarioHardDeclineStopsRetries(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "stolen_card")
	h.advance(at(30 * day))
	if n := len(h.gw.attemptTimes(inv)); n != 0 {
		t.Fatalf("%d retries after a hard decline", n)
	}
	evs := h.events(domain.InvoiceStream(inv))
	if n := len(ofType[domain.RetryScheduled](evs)); n != 0 {
		t.Fatalf("%d retries scheduled", n)
	}
	bl := ofType[domain.RetryBlocked](evs)
	if len(bl) != 1 || !bl[0].OccurredAt.Equal(t0) || bl[0].Rule != domain.RuleVisaCategory1 || !bl[0].Until.Equal(at(7*day)) {
		t.Fatalf("blocked: %+v", bl)
	}
	ex := ofType[domain.DunningExhausted](evs)
	if len(ex) != 1 || !ex[0].OccurredAt.Equal(at(7*day)) {
		t.Fatalf("exhausted: %+v", ex)
	}
	var o notify.Invoice
	hooks := h.webhooksOf(notify.EventInvoicePaymentFailed)
	if len(hooks) != 1 {
		t.Fatalf("%d payment_failed webhooks", len(hooks))
	}
	_ = json.Unmarshal(hooks[0].Data.Object, &o)
	if o.NextPaymentAttempt != nil || o.LastDeclineCode != "stolen_card" {
		t.Fatalf("webhook object %+v: want no next attempt", o)
	}
}

// Mastercard advice code 25 (retry after 24 hours) pushes a same-day
// retry of a manual schedule to the earliest allowed time.
func TestScenarioAdviceCodeWait(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Mastercard)
	b := domain.Base{OccurredAt: t0}
	h.record(domain.PresetCreated{Base: b, PresetID: "dp_x", Spec: domain.PresetSpec{Name: "fast", RetriesEnabled: true, Schedule: []int{1, 1},
		DuringRecovery: domain.DuringPause, AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue}},
		domain.ProductPresetAssigned{Base: b, ProductID: "prod_1", PresetID: "dp_x"})
	h.gw.set(func(dunning.ChargeRequest) dunning.ChargeResult {
		r := decline("do_not_honor")
		r.AdviceCode = "29" // Mastercard: retry after 8 days
		return r
	})
	inv := h.failedRenewal("1", "insufficient_funds")
	h.advance(at(30 * day))
	got := h.gw.attemptTimes(inv)
	if len(got) != 2 || !got[0].Equal(at(day)) || got[1].Sub(got[0]) < 8*day {
		t.Fatalf("retries at %v: the second must wait 8 days after the first", got)
	}
}

// After a hard decline, new card data restarts eligibility: the engine
// retries on the updated card and the invoice is paid.
func TestScenarioCardUpdateRestartsEligibility(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "lost_card")
	h.advance(at(day))
	if n := len(h.gw.attemptTimes(inv)); n != 0 {
		t.Fatalf("%d retries after a hard decline", n)
	}
	h.gw.set(func(dunning.ChargeRequest) dunning.ChargeResult {
		return dunning.ChargeResult{Outcome: domain.Succeeded}
	})
	h.record(domain.PaymentMethodUpdated{Base: domain.Base{OccurredAt: at(2 * day)}, PaymentMethodID: "pm_1", CustomerID: "cus_1",
		Source: domain.UpdatedByCustomer, ExpMonth: 1, ExpYear: 2031, Last4: "4242", NewNumber: true})
	h.advance(at(3 * day))
	got := h.gw.attemptTimes(inv)
	if len(got) != 1 || !got[0].Equal(at(2*day)) {
		t.Fatalf("retries at %v, want one at the card update (%v)", got, at(2*day))
	}
	evs := h.events(domain.InvoiceStream(inv))
	if n := len(ofType[domain.InvoicePaid](evs)); n != 1 {
		t.Fatalf("%d InvoicePaid", n)
	}
	if n := len(h.webhooksOf(notify.EventInvoicePaid)); n != 1 {
		t.Fatalf("%d invoice.paid webhooks", n)
	}
}

// Paid during recovery: retries stop and the paused subscription resumes.
func TestScenarioPaidDuringRecoveryResumes(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "insufficient_funds")
	h.gw.set(func(r dunning.ChargeRequest) dunning.ChargeResult {
		if r.AttemptNumber == 3 {
			return dunning.ChargeResult{Outcome: domain.Succeeded}
		}
		return decline("insufficient_funds")
	})
	h.advance(at(30 * day))
	if got := h.gw.attemptTimes(inv); !slices.Equal(got, []time.Time{at(day), at(3 * day)}) {
		t.Fatalf("retries at %v", got)
	}
	if got := h.types(domain.SubscriptionStream("sub_1")); !slices.Equal(got, []string{"SubscriptionStarted", "SubscriptionPaused", "SubscriptionResumed"}) {
		t.Fatalf("subscription: %v", got)
	}
	evs := h.events(domain.InvoiceStream(inv))
	if n := len(ofType[domain.DunningExhausted](evs)); n != 0 {
		t.Fatal("exhausted after payment")
	}
	if p := ofType[domain.PaymentSucceeded](evs); len(p) != 1 || p[0].Amount != 2500 || p[0].AttemptNumber != 3 {
		t.Fatalf("payment: %+v", p)
	}
}

// The engine makes the first charge itself when told to (the simulator).
func TestScenarioInitialCharge(t *testing.T) {
	h := newHarness(t, dunning.WithInitialCharge(true))
	h.customer("1", domain.Visa)
	h.record(domain.InvoiceFinalized{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1",
		ProductID: "prod_1", PaymentMethodID: "pm_1", Amount: 2500, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true})
	h.advance(at(30 * day))
	if got := h.gw.attemptTimes("in_1"); !slices.Equal(got, []time.Time{t0, at(day), at(3 * day), at(7 * day)}) {
		t.Fatalf("charges at %v", got)
	}
	a := ofType[domain.PaymentAttempted](h.events("invoice-in_1"))
	if a[0].Initiator != domain.InitiatorInitial || a[0].Network != domain.Visa || a[0].Funding != domain.Debit {
		t.Fatalf("first attempt %+v", a[0])
	}
}

// Backfilled history is recorded but the engine takes no action on it.
func TestScenarioBackfillTakesNoAction(t *testing.T) {
	h := newHarness(t, dunning.WithInitialCharge(true))
	h.customer("1", domain.Visa)
	b := domain.Base{OccurredAt: t0.Add(-40 * day), Backfill: true}
	h.record(
		domain.InvoiceFinalized{Base: b, InvoiceID: "in_old", CustomerID: "cus_1", SubscriptionID: "sub_1", PaymentMethodID: "pm_1",
			Amount: 2500, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true},
		domain.PaymentAttempted{Base: b, InvoiceID: "in_old", PaymentMethodID: "pm_1", AttemptNumber: 1, Amount: 2500, Currency: "usd",
			Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorInitial},
	)
	h.advance(at(30 * day))
	if got := h.types("invoice-in_old"); len(got) != 2 {
		t.Fatalf("engine acted on backfill: %v", got)
	}
	if len(h.gw.keys()) != 0 || len(h.smtp.Messages()) != 0 || h.hooks.Requests() != 0 {
		t.Fatalf("backfill caused charges %v, %d emails, %d webhooks", h.gw.keys(), len(h.smtp.Messages()), h.hooks.Requests())
	}
}

// Failed sends are recorded and retried with backoff, never dropped; the
// retried webhook keeps its id.
func TestScenarioFailedSendsAreRetried(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	h.smtp.FailNext(2)
	h.hooks.FailNext(3)
	inv := h.failedRenewal("1", "stolen_card") // one payment_failed email and webhook
	h.advance(at(day))
	evs := h.events(domain.InvoiceStream(inv))
	failed := ofType[domain.ReminderFailed](evs)
	if len(failed) != 2 || failed[0].Attempts != 1 || failed[1].Attempts != 2 || !failed[1].OccurredAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("email failures: %+v", failed)
	}
	if sent := ofType[domain.ReminderSent](evs); len(sent) != 1 || !sent[0].OccurredAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("email sent: %+v (want after 1 and 2 minutes of backoff)", sent)
	}
	// Three 503s spread over the payment_failed and subscription webhooks:
	// every failure recorded with its status, each id delivered once.
	failures, delivered := 0, map[string]int{}
	lastTry := map[string]int{}
	for _, w := range ofType[domain.WebhookSent](evs) {
		if w.Attempts != lastTry[w.WebhookID]+1 {
			t.Fatalf("webhook %s try %d follows try %d", w.WebhookID, w.Attempts, lastTry[w.WebhookID])
		}
		lastTry[w.WebhookID] = w.Attempts
		if w.Delivered {
			delivered[w.WebhookID]++
		} else {
			failures++
			if w.LastStatus != 503 || w.LastError == "" {
				t.Fatalf("failure recorded as %+v", w)
			}
		}
	}
	if failures != 3 || len(delivered) != 2 {
		t.Fatalf("%d failures recorded, %d webhooks delivered; want 3 and 2", failures, len(delivered))
	}
	for id, n := range delivered {
		if n != 1 {
			t.Fatalf("webhook %s delivered %d times", id, n)
		}
	}
	if n := len(h.webhooksOf(notify.EventInvoicePaymentFailed)); n != 1 {
		t.Fatalf("receiver accepted %d payment_failed deliveries, want 1", n)
	}
	if len(h.smtp.Messages()) != 1 {
		t.Fatalf("SMTP server kept %d emails", len(h.smtp.Messages()))
	}
}

// Exploration moves a share of retries to random allowed hours and logs
// the propensity on RetryScheduled and PaymentAttempted.
func TestScenarioExplorationLogsPropensities(t *testing.T) {
	h := newHarness(t, dunning.WithExploreRate(0.3), dunning.WithSeed(7), dunning.WithNotifier(nil))
	const n = 60
	for i := range n {
		id := string(rune('a'+i/26)) + string(rune('a'+i%26))
		h.customer(id, domain.Visa)
		h.failedRenewal(id, "insufficient_funds")
	}
	h.advance(at(30 * day))
	explored, total := 0, 0
	for i := range n {
		id := "in_" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		evs := h.events(domain.InvoiceStream(id))
		sched := ofType[domain.RetryScheduled](evs)
		attempts := ofType[domain.PaymentAttempted](evs)[1:]
		if len(sched) != 3 || len(attempts) != 3 {
			t.Fatalf("%s: %d scheduled, %d retries", id, len(sched), len(attempts))
		}
		for k, s := range sched {
			total++
			a := attempts[k]
			if a.Source != s.Source || a.Propensity != s.Propensity || !a.OccurredAt.Equal(s.At) {
				t.Fatalf("%s attempt %d does not carry its schedule's source and propensity: %+v vs %+v", id, a.AttemptNumber, a, s)
			}
			switch s.Source {
			case domain.SourceExplore:
				explored++
				if s.Propensity <= 0 || s.Propensity > 0.3 || s.At.After(at(7*day)) || s.At.Before(s.OccurredAt) || s.At.Minute() != 0 {
					t.Errorf("%s explored retry %+v: want a whole hour within the window and propensity in (0, 0.3]", id, s)
				}
			case domain.SourceSchedule:
				if s.Propensity < 0.7 || s.Propensity > 1 {
					t.Errorf("%s scheduled retry propensity %v, want about 0.7", id, s.Propensity)
				}
			default:
				t.Errorf("%s: source %q", id, s.Source)
			}
		}
	}
	// 180 retries at 30%: 54 expected; the bounds are about ±4.5 sd.
	if explored < 27 || explored > 81 {
		t.Fatalf("%d of %d retries explored, want about 30%%", explored, total)
	}

	// The same seed decides the same on a fresh ledger.
	h2 := newHarness(t, dunning.WithExploreRate(0.3), dunning.WithSeed(7), dunning.WithNotifier(nil))
	h2.customer("aa", domain.Visa)
	h2.failedRenewal("aa", "insufficient_funds")
	h2.advance(at(30 * day))
	if a, b := h.gw.attemptTimes("in_aa"), h2.gw.attemptTimes("in_aa"); !slices.Equal(a, b) {
		t.Fatalf("same seed, different retries: %v vs %v", a, b)
	}
}

// Options refuse bad values naming the field.
func TestOptionsRefuseBadValues(t *testing.T) {
	h := newHarness(t)
	for _, o := range []dunning.Option{dunning.WithExploreRate(1.5), dunning.WithExploreRate(-0.1), dunning.WithAppendConcurrency(0), dunning.WithBatchSize(0), dunning.WithLinkBase("")} {
		if _, err := dunning.New(h.store, h.clock, h.gw, o); err == nil {
			t.Errorf("option accepted a bad value")
		}
	}
	if _, err := dunning.New(h.store, dunning.WallClock{}, h.gw); err != nil {
		t.Fatal(err)
	}
	e, _ := dunning.New(h.store, dunning.WallClock{}, h.gw)
	if err := e.AdvanceTo(context.Background(), t0); err == nil {
		t.Fatal("AdvanceTo accepted a wall clock")
	}
}

// Without a gateway the billing system charges: the engine schedules the
// retries (next_payment_attempt), never charges, and takes the attempts
// the billing system records as they come.
func TestScenarioBillingSystemCharges(t *testing.T) {
	h := newHarness(t)
	h.close()
	h.gw = nil
	h.opts = append(h.opts, dunning.WithInitialCharge(true)) // ignored without a gateway
	s, err := pebble.Open(h.dir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.store = s
	if h.engine, err = dunning.New(s, h.clock, nil, h.opts...); err != nil {
		t.Fatal(err)
	}
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "insufficient_funds")
	h.advance(at(2 * day))
	evs := h.events(domain.InvoiceStream(inv))
	if n := len(ofType[domain.PaymentAttempted](evs)); n != 1 {
		t.Fatalf("%d attempts without a gateway, want the billing system's one", n)
	}
	r := ofType[domain.RetryScheduled](evs)
	if len(r) != 1 || !r[0].At.Equal(at(day)) {
		t.Fatalf("scheduled %+v, want attempt 2 at %v", r, at(day))
	}
	h.record(domain.PaymentAttempted{Base: domain.Base{OccurredAt: at(2 * day)}, InvoiceID: inv, PaymentMethodID: "pm_1", AttemptNumber: 2,
		Amount: 2500, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorRetry, Source: domain.SourceSchedule, Propensity: 1})
	h.advance(at(2*day + time.Hour))
	r = ofType[domain.RetryScheduled](h.events(domain.InvoiceStream(inv)))
	if len(r) != 2 || r[1].AttemptNumber != 3 || !r[1].At.Equal(at(4*day)) {
		t.Fatalf("after the billing system's retry: %+v", r)
	}
	if n := len(h.webhooksOf(notify.EventInvoicePaymentFailed)); n != 2 {
		t.Fatalf("%d payment_failed webhooks, want 2", n)
	}
}
