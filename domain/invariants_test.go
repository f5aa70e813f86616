package domain

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

func randomCases(def int) int {
	if s := os.Getenv("RECOUP_DOMAIN_RANDOM"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return def
}

var allowedMoves = map[InvoiceStatus][]InvoiceStatus{
	InvoiceOpen:          {InvoiceOpen, InvoicePaidStatus, InvoiceUncollectible, InvoiceVoid},
	InvoiceUncollectible: {InvoiceUncollectible, InvoicePaidStatus, InvoiceVoid},
	InvoicePaidStatus:    {InvoicePaidStatus},
	InvoiceVoid:          {InvoiceVoid},
}

// TestInvoiceInvariantsUnderRandomCommands runs random command sequences
// on an invoice and checks after every accepted command that amounts are
// never negative and add up, statuses only move as Stripe allows,
// attempt_count counts attempts, and a refused command returns no events.
// RECOUP_DOMAIN_RANDOM runs more sequences.
func TestInvoiceInvariantsUnderRandomCommands(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for seq := range randomCases(300) {
		inv := &Invoice{}
		evs, err := inv.Finalize(finalized(int64(1 + rng.IntN(5000))))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			inv.Apply(e)
		}
		now := t0
		for step := range 40 {
			now = now.Add(time.Duration(rng.IntN(48)) * time.Hour)
			before := inv.Status
			evs, err := randomInvoiceCommand(rng, inv, now)
			if err != nil {
				if evs != nil {
					t.Fatalf("seq %d step %d: refused command returned events", seq, step)
				}
				continue
			}
			for _, e := range evs {
				inv.Apply(e)
			}
			checkInvoiceInvariants(t, inv, before, seq, step)
		}
	}
}

func randomInvoiceCommand(rng *rand.Rand, inv *Invoice, now time.Time) ([]Event, error) {
	amount := int64(rng.IntN(int(inv.AmountDue)+10)) - 5
	switch rng.IntN(8) {
	case 0, 1, 2:
		a := PaymentAttempted{Base: Base{OccurredAt: now}, InvoiceID: inv.ID, PaymentMethodID: "pm_1",
			AttemptNumber: inv.AttemptCount + 1 - rng.IntN(2)*rng.IntN(2), Amount: amount, Currency: "usd",
			Outcome: Failed, DeclineCode: "do_not_honor", Initiator: InitiatorRetry}
		if rng.IntN(3) == 0 {
			a.Outcome, a.DeclineCode = Succeeded, ""
		}
		return inv.RecordAttempt(a)
	case 3:
		return inv.ReceivePartialPayment(amount, now)
	case 4:
		return inv.Reconcile(now)
	case 5:
		return inv.MarkUncollectible("test", now)
	case 6:
		return inv.WriteOff(now)
	default:
		if rng.IntN(3) == 0 {
			return inv.Void(now)
		}
		return inv.LeaveOverdue(nil, now)
	}
}

func checkInvoiceInvariants(t *testing.T, inv *Invoice, before InvoiceStatus, seq, step int) {
	t.Helper()
	if inv.AmountRemaining < 0 || inv.AmountPaid < 0 || inv.AmountCredited < 0 {
		t.Fatalf("seq %d step %d: negative amount: %+v", seq, step, inv)
	}
	if inv.AmountPaid+inv.AmountCredited+inv.AmountRemaining != inv.AmountDue {
		t.Fatalf("seq %d step %d: paid %d + credited %d + remaining %d != due %d", seq, step, inv.AmountPaid, inv.AmountCredited, inv.AmountRemaining, inv.AmountDue)
	}
	ok := false
	for _, s := range allowedMoves[before] {
		ok = ok || s == inv.Status
	}
	if !ok {
		t.Fatalf("seq %d step %d: status moved %s → %s", seq, step, before, inv.Status)
	}
	if (inv.Status == InvoicePaidStatus) != (inv.AmountRemaining == 0) {
		t.Fatalf("seq %d step %d: status %s with %d remaining", seq, step, inv.Status, inv.AmountRemaining)
	}
	if inv.AttemptCount != len(inv.Attempts) {
		t.Fatalf("seq %d step %d: attempt_count %d for %d attempts", seq, step, inv.AttemptCount, len(inv.Attempts))
	}
	for i, a := range inv.Attempts {
		if a.AttemptNumber != i+1 {
			t.Fatalf("seq %d step %d: attempt %d numbered %d", seq, step, i+1, a.AttemptNumber)
		}
	}
	if inv.Status != InvoiceOpen && inv.NextPaymentAttempt != nil {
		t.Fatalf("seq %d step %d: %s invoice has next_payment_attempt", seq, step, inv.Status)
	}
}

// TestDunningInvariantsUnderRandomPresets drives random valid presets and
// settings against a random gateway and checks what must always hold:
// retries never exceed the preset's count, every retry was allowed by
// the network rules at its time on the history before it, a smart run
// stays in its window, next_payment_attempt is null once retries end,
// subscription events come only from the preset's choices, and the
// ledger settles (no timer left) or waits for a dated timer.
func TestDunningInvariantsUnderRandomPresets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	outcomes := map[string]int{}
	defer func() {
		// The generator must reach every ending, or the test is too tame.
		for _, k := range []string{"paid", "exhausted", "blocked", "uncollectible", "postponed"} {
			if outcomes[k] == 0 && !t.Failed() {
				t.Errorf("no random run ended %s: %v", k, outcomes)
			}
		}
		t.Logf("outcomes: %v", outcomes)
	}()
	for i := range randomCases(200) {
		preset, settings := randomPreset(rng), randomSettings(rng)
		l := newLedger(t, preset, settings)
		l.card.Network = []Network{Visa, Mastercard, Amex}[rng.IntN(3)]
		l.gateway = randomGateway(rng)
		if preset.SmartRetries {
			l.planner = func(rc RetryContext) RetryPlan {
				at := rc.Now.Add(time.Duration(1+rng.IntN(96)) * time.Hour)
				return RetryPlan{Retry: rng.IntN(10) > 0, At: at, Source: SourceSmart, Propensity: 1}
			}
		}
		l.finalize(subInvoice())
		l.runUntil(500 * day)
		checkRun(t, i, l, preset)
		outcomes[string(l.inv.Status)]++
		if len(eventsOf[DunningExhausted](l.log)) > 0 {
			outcomes["exhausted"]++
		}
		if len(eventsOf[RetryBlocked](l.log)) > 0 {
			outcomes["blocked"]++
		}
		for _, r := range eventsOf[RetryScheduled](l.log) {
			if r.Rule != "" {
				outcomes["postponed"]++
				break
			}
		}
	}
}

func checkRun(t *testing.T, i int, l *ledger, preset PresetSpec) {
	t.Helper()
	attempts := eventsOf[PaymentAttempted](l.log)
	if len(attempts) > 1+preset.MaxRetries() {
		t.Fatalf("case %d: %d attempts for %d retries (%+v)", i, len(attempts), preset.MaxRetries(), preset)
	}
	card := CardHistory{Network: l.card.Network}
	for n, a := range attempts {
		if a.Initiator == InitiatorRetry {
			if ok, _, rule := RetryAllowed(card, a.OccurredAt); !ok {
				t.Fatalf("case %d: retry %d at %v broke %s", i, n, a.OccurredAt, rule)
			}
			if preset.SmartRetries && a.OccurredAt.After(l.inv.Run.Deadline()) {
				t.Fatalf("case %d: smart retry after the window", i)
			}
		}
		card.Add(CardAttemptOf(a))
	}
	if l.inv.Status == InvoiceOpen && l.inv.Run != nil && !l.inv.Run.Active() && l.inv.NextPaymentAttempt != nil {
		t.Fatalf("case %d: next_payment_attempt after the run ended", i)
	}
	for _, c := range eventsOf[SubscriptionCanceled](l.log) {
		if preset.AfterSub != AfterCancel || c.Reason != ReasonPaymentFailed {
			t.Fatalf("case %d: canceled (%s) under %s", i, c.Reason, preset.AfterSub)
		}
	}
	if l.inv.Status == InvoicePaidStatus && l.sub.Status != SubscriptionActive && l.sub.Status != SubscriptionCanceledSt {
		t.Fatalf("case %d: paid invoice left the subscription %s", i, l.sub.Status)
	}
	if tm, ok := l.inv.NextTimer(l.settings); ok && !tm.At.After(l.now) {
		t.Fatalf("case %d: timer %+v still due after the run", i, tm)
	}
}

func randomPreset(rng *rand.Rand) PresetSpec {
	p := PresetSpec{Name: "random", RetriesEnabled: rng.IntN(6) > 0,
		DuringRecovery: []DuringRecovery{DuringPause, DuringKeepActive}[rng.IntN(2)],
		AfterSub:       []AfterFailureSubscription{AfterCancel, AfterKeepActive, AfterPause}[rng.IntN(3)],
		AfterInvoice:   []AfterFailureInvoice{InvoiceWriteOff, InvoiceLeaveOverdue, InvoiceLeaveOverdueDays}[rng.IntN(3)]}
	if p.AfterInvoice == InvoiceLeaveOverdueDays {
		p.OverdueDays = 1 + rng.IntN(60)
	}
	if rng.IntN(3) == 0 {
		p.SmartRetries, p.SmartMaxRetries, p.SmartWindowDays = true, 1+rng.IntN(8), 1+rng.IntN(30)
	} else {
		for range 1 + rng.IntN(8) {
			p.Schedule = append(p.Schedule, 1+rng.IntN(10))
		}
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

func randomSettings(rng *rand.Rand) CollectionSettings {
	return CollectionSettings{FailedPaymentEmails: rng.IntN(2) == 0, UncollectibleAfterDays: []int{0, 30, 60, 90}[rng.IntN(4)],
		AutoReconcileThreshold: int64(rng.IntN(3) * 50)}
}

func randomGateway(rng *rand.Rand) func(Charge, PaymentAttempted) PaymentAttempted {
	declines := []struct{ code, network, advice string }{
		{"insufficient_funds", "51", ""}, {"do_not_honor", "05", ""}, {"do_not_honor", "05", "24"},
		{"try_again_later", "19", "26"}, {"stolen_card", "43", ""}, {"do_not_honor", "05", "03"}, {"expired_card", "54", ""},
	}
	return func(c Charge, a PaymentAttempted) PaymentAttempted {
		if rng.IntN(5) == 0 {
			a.Outcome = Succeeded
			return a
		}
		d := declines[rng.IntN(len(declines))]
		if rng.IntN(2) > 0 {
			d = declines[rng.IntN(2)] // mostly soft declines, so runs go long
		}
		a.Outcome, a.DeclineCode, a.NetworkDeclineCode, a.AdviceCode = Failed, d.code, d.network, d.advice
		return a
	}
}
