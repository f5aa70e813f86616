package dunning

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// settleGateway answers every request under a key as it answered the
// first (as processors do), and runs before once per key, on its first
// request, to let another writer act while the charge is in flight.
type settleGateway struct {
	mu      sync.Mutex
	keys    []string
	answers map[string]ChargeResult
	errs    map[string]int // errors to return before answering, by key
	before  func(r ChargeRequest)
	outcome func(r ChargeRequest) ChargeResult
}

func (g *settleGateway) Charge(_ context.Context, r ChargeRequest) (ChargeResult, error) {
	g.mu.Lock()
	g.keys = append(g.keys, r.IdempotencyKey)
	res, seen := g.answers[r.IdempotencyKey]
	first := !seen && g.errs[r.IdempotencyKey] >= 0
	if !seen {
		res = g.outcome(r)
		g.answers[r.IdempotencyKey] = res
	}
	fail := g.errs[r.IdempotencyKey] > 0
	if fail {
		g.errs[r.IdempotencyKey]--
	}
	g.mu.Unlock()
	if first && !seen && g.before != nil {
		g.before(r)
	}
	if fail {
		return ChargeResult{}, errors.New("gateway: timeout")
	}
	return res, nil
}

func (g *settleGateway) charged() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.keys)
}

func settleEngine(t *testing.T, p flushPath, g *settleGateway) (*Engine, eventstore.Store) {
	t.Helper()
	g.answers = map[string]ChargeResult{}
	if g.errs == nil {
		g.errs = map[string]int{}
	}
	st, _ := p.openStore(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, err := New(st, NewVirtualClock(t0), g, WithInitialCharge(true), WithExploreRate(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, st
}

func succeeded(r ChargeRequest) ChargeResult {
	return ChargeResult{Outcome: domain.Succeeded, ChargeID: "ch_" + r.IdempotencyKey}
}

// outsideOf returns the ChargeOutsideAttempt events of in_1's stream.
func outsideOf(t *testing.T, st eventstore.Store) []domain.ChargeOutsideAttempt {
	t.Helper()
	recs, err := st.ReadStream(context.Background(), "invoice-in_1", eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.ChargeOutsideAttempt
	for _, r := range recs {
		if r.Type == domain.TypeChargeOutsideAttempt {
			ev, err := domain.Decode(r.Type, r.Data)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ev.(domain.ChargeOutsideAttempt))
		}
	}
	return out
}

// TestAttemptTakenWhileCharging: the engine's initial charge in_1/1 is
// declined and dunning starts; while its first retry in_1/2 (which
// succeeds) is in flight, the customer tries another card on a hosted page
// and the billing system records that (failed) attempt as number 2. The
// engine's attempt 2 conflicts and is re-read away: no decision will name
// in_1/2 again. The engine settles it: the 1,900 it took is recorded
// (ChargeOutsideAttempt, applied as a payment: the invoice is paid), and
// in_1 is charged under no other key. On every local flush path.
func TestAttemptTakenWhileCharging(t *testing.T) {
	onLocalPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var other eventstore.Store
		g := &settleGateway{
			outcome: func(r ChargeRequest) ChargeResult {
				if r.AttemptNumber == 1 {
					return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds"}
				}
				return succeeded(r)
			},
			before: func(r ChargeRequest) {
				if r.AttemptNumber == 2 {
					appendAsOther(t, other, domain.PaymentAttempted{Base: domain.Base{OccurredAt: r.At}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
						AttemptNumber: 2, Amount: 1900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorCustomer})
				}
			},
		}
		e, st := settleEngine(t, p, g)
		other = st
		appendAsOther(t, st, customerEvents(1, t0)...)
		mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(time.Hour)))
		mustFor(t)(e.Flush(context.Background())) // attempt 1 is written
		mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
		got := g.charged()
		if slices.Contains(got, "in_1/3") || !slices.Contains(got, "in_1/2") {
			t.Fatalf("charges %v; want in_1/2 settled and no later key charged", got)
		}
		out := outsideOf(t, st)
		if len(out) != 1 || out[0].IdempotencyKey != "in_1/2" || out[0].Amount != 1900 || out[0].Applied != 1900 || out[0].ChargeID != "ch_in_1/2" ||
			out[0].Reason != domain.ReasonAttemptTaken {
			t.Fatalf("charges %v; charges outside attempts %+v; want in_1/2's 1900, applied, attempt taken; stream %v", g.charged(), out, e.Invoice("in_1").Attempts)
		}
		if inv := e.Invoice("in_1"); inv.Status != domain.InvoicePaidStatus || inv.AmountPaid != 1900 || inv.Unapplied != 0 {
			t.Fatalf("in_1 %s, paid %d, unapplied %d; want paid 1900", inv.Status, inv.AmountPaid, inv.Unapplied)
		}
		checkNoneKept(t, e)
	})
}

// TestInvoiceClosedWhileCharging: while the engine's initial charge
// in_1/1 (which succeeds) is in flight, the billing system records the
// invoice paid out of band. The engine's attempt conflicts and is re-read
// away, on a paid invoice: the 1,900 it took is recorded as owed back
// (ChargeOutsideAttempt, nothing applied), once, and nothing else is
// charged.
func TestInvoiceClosedWhileCharging(t *testing.T) {
	onLocalPaths(t, func(t *testing.T, p flushPath) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var other eventstore.Store
		g := &settleGateway{outcome: succeeded, before: func(r ChargeRequest) {
			appendAsOther(t, other, domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", Amount: 1900},
				domain.InvoicePaid{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", AmountPaid: 1900})
		}}
		e, st := settleEngine(t, p, g)
		other = st
		appendAsOther(t, st, customerEvents(1, t0)...)
		mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
		if got := g.charged(); slices.ContainsFunc(got, func(k string) bool { return k != "in_1/1" }) {
			t.Fatalf("charges %v; want in_1/1 only", got)
		}
		out := outsideOf(t, st)
		if len(out) != 1 || out[0].IdempotencyKey != "in_1/1" || out[0].Amount != 1900 || out[0].Applied != 0 || out[0].Reason != domain.ReasonInvoiceClosed {
			t.Fatalf("charges outside attempts %+v; want in_1/1's 1900, owed back", out)
		}
		if inv := e.Invoice("in_1"); inv.Unapplied != 1900 || inv.AmountPaid != 1900 {
			t.Fatalf("in_1 paid %d, unapplied %d; want 1900 paid out of band and 1900 owed back", inv.AmountPaid, inv.Unapplied)
		}
		checkNoneKept(t, e)
	})
}

// TestUnknownOutcomeThenClosed: the answer to in_1/1 is lost (the charge
// succeeded), and the invoice is paid out of band before the engine tries
// the key again: no decision names in_1/1 again, so the engine settles it,
// sending it again until it has the answer (two more timeouts here), and
// records the 1,900 taken as owed back. No other key is charged.
func TestUnknownOutcomeThenClosed(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var other eventstore.Store
	g := &settleGateway{outcome: succeeded, errs: map[string]int{"in_1/1": 3}, before: func(r ChargeRequest) {
		appendAsOther(t, other, domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", Amount: 1900},
			domain.InvoicePaid{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", AmountPaid: 1900})
	}}
	e, st := settleEngine(t, flushPaths[0], g)
	other = st
	appendAsOther(t, st, customerEvents(1, t0)...)
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(24*time.Hour)))
	if got := g.charged(); len(got) < 4 || slices.ContainsFunc(got, func(k string) bool { return k != "in_1/1" }) {
		t.Fatalf("charges %v; want in_1/1 at least four times (three timeouts, then the answer)", got)
	}
	out := outsideOf(t, st)
	if len(out) != 1 || out[0].IdempotencyKey != "in_1/1" || out[0].Applied != 0 {
		t.Fatalf("charges outside attempts %+v; want in_1/1's 1900, owed back", out)
	}
	checkNoneKept(t, e)
}

// TestSuccessForMoreThanRemains: while the engine's initial charge of
// 1,900 (which succeeds) is in flight, another writer records a partial
// payment of 100. Decided again after the re-read, the key's request is
// sent again and answered: the ledger cannot hold a successful attempt of
// 1,900 on 1,800 remaining, so the charge is recorded outside its attempt,
// 1,800 applied (the invoice is paid) and 100 owed back; nothing else is
// charged.
func TestSuccessForMoreThanRemains(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var other eventstore.Store
	g := &settleGateway{outcome: succeeded, before: func(r ChargeRequest) {
		appendAsOther(t, other, domain.PartialPaymentReceived{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", Amount: 100})
	}}
	e, st := settleEngine(t, flushPaths[0], g)
	other = st
	appendAsOther(t, st, customerEvents(1, t0)...)
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(30*24*time.Hour)))
	if got := g.charged(); slices.ContainsFunc(got, func(k string) bool { return k != "in_1/1" }) {
		t.Fatalf("charges %v; want in_1/1 only", got)
	}
	out := outsideOf(t, st)
	if len(out) != 1 || out[0].Amount != 1900 || out[0].Applied != 1800 || out[0].Reason != domain.ReasonOverRemainder {
		t.Fatalf("charges outside attempts %+v; want in_1/1's 1900, 1800 applied", out)
	}
	if inv := e.Invoice("in_1"); inv.Status != domain.InvoicePaidStatus || inv.Unapplied != 100 {
		t.Fatalf("in_1 %s, unapplied %d; want paid, 100 owed back", inv.Status, inv.Unapplied)
	}
}

// TestNoSecondKeyWhileTheFirstIsUnknown: the answer to the initial charge
// in_1/1 is lost, and meanwhile the customer's own (failed) attempt is
// recorded as number 1. The initial charge is still owed, now under
// in_1/2; but in_1/1 may have taken the money, so the engine charges
// under no other key until in_1/1 is settled (four more timeouts here).
// It succeeded: its 1,900 pays the invoice, and in_1/2 is never charged.
func TestNoSecondKeyWhileTheFirstIsUnknown(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var other eventstore.Store
	g := &settleGateway{outcome: succeeded, errs: map[string]int{"in_1/1": 5}, before: func(r ChargeRequest) {
		appendAsOther(t, other, domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0}, InvoiceID: "in_1", PaymentMethodID: "pm_1",
			AttemptNumber: 1, Amount: 1900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", Initiator: domain.InitiatorCustomer})
	}}
	e, st := settleEngine(t, flushPaths[0], g)
	other = st
	appendAsOther(t, st, customerEvents(1, t0)...)
	mustFor(t)(e.AdvanceTo(context.Background(), t0.Add(24*time.Hour)))
	if got := g.charged(); len(got) < 6 || slices.ContainsFunc(got, func(k string) bool { return k != "in_1/1" }) {
		t.Fatalf("charges %v; want in_1/1 until answered, and no other key", got)
	}
	out := outsideOf(t, st)
	if len(out) != 1 || out[0].IdempotencyKey != "in_1/1" || out[0].Applied != 1900 || out[0].Reason != domain.ReasonAttemptTaken {
		t.Fatalf("charges outside attempts %+v; want in_1/1's 1900 applied", out)
	}
	if inv := e.Invoice("in_1"); inv.Status != domain.InvoicePaidStatus {
		t.Fatalf("in_1 %s; want paid by in_1/1's charge", inv.Status)
	}
}

// TestChargesStagedOnAConflictedFlush: while a flush carrying in_1's
// initial charge is in flight, the engine decides three days on and
// charges in_1's first two retries on top of it; the flush then conflicts
// (another writer marked the subscription past due), and all three
// attempts are re-read away. The engine decides them again in order, each
// under its key with the request it sent, and writes all three; no
// request is left unsettled and no key is sent with other parameters.
func TestChargesStagedOnAConflictedFlush(t *testing.T) {
	for _, p := range flushPaths[:2] {
		t.Run(p.name, func(t *testing.T) {
			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			ctx := context.Background()
			var other eventstore.Store
			calls := 0
			e, st, ps, x := pathEngine(t, p, func(r ChargeRequest) error {
				if calls++; calls == 1 {
					appendAsOther(t, other, domain.SubscriptionMarkedPastDue{Base: domain.Base{OccurredAt: t0}, SubscriptionID: "sub_1", InvoiceID: "in_9"})
				}
				return nil
			})
			other = st
			appendAsOther(t, st, customerEvents(1, t0)...)
			must := mustFor(t)
			must(e.Commit(ctx))
			must(e.Decide(ctx, t0))
			must(e.Commit(ctx)) // in flight; conflicts on subscription-sub_1
			must(e.Decide(ctx, t0.Add(3*24*time.Hour)))
			if got := x.charged(); len(got) < 3 {
				t.Fatalf("charges %v; want in_1/1 and two retries staged on top of the flush", got)
			}
			must(e.Commit(ctx))
			must(e.Flush(ctx))
			must(e.AdvanceTo(ctx, t0.Add(30*24*time.Hour)))
			if n := countOf(streamTypes(t, ps, "invoice-in_1"), domain.TypePaymentAttempted); n < 3 {
				t.Fatalf("charges %v; %d attempts written; want every charge made written", x.charged(), n)
			}
			checkNoneKept(t, e)
			checkChargedAsRecorded(t, ps, x)
		})
	}
}

// checkNoneKept fails t if e still remembers a charge request: every
// request it sent is written or settled.
func checkNoneKept(t *testing.T, e *Engine) {
	t.Helper()
	if keys := slices.Sorted(maps.Keys(e.sent)); len(keys) != 0 {
		t.Fatalf("requests kept %v; want none", keys)
	}
}
