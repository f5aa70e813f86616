package dunning

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// maxStepsPerWake bounds the decisions one wake-up may take for an
// invoice (decide, charge, decide again, send...), against a loop.
const maxStepsPerWake = 32

// act takes everything due for inv at now. The decisions are the
// domain's (domain.DecideDue, RecordPaymentAttempt, OnPaymentMethodChanged);
// the engine supplies the situation, the planner's answer, the charge,
// the sends, and writes what they decide.
func (e *Engine) act(ctx context.Context, inv *invoice, now time.Time) error {
	e.acting = inv
	defer func() { e.acting = nil }()
	for range maxStepsPerWake {
		progressed, err := e.step(ctx, inv, now)
		if err != nil {
			return err
		}
		if !progressed {
			break
		}
	}
	if at := e.nextWake(inv); !at.IsZero() && !at.After(now) {
		// Still due after every step: a decision that records nothing, or
		// one the domain refuses. Park the invoice until its next event
		// rather than spin: no heap entry, and a wake time no re-arm
		// computes (the zero time), so that the next event's rearm files
		// the invoice again.
		e.log.Error("dunning: invoice makes no progress; parked until its next event", "invoice", inv.id, "due", at)
		inv.wake = time.Time{}
		return nil
	}
	e.rearm(inv)
	return nil
}

// step takes one decision or send; it reports whether anything happened.
func (e *Engine) step(ctx context.Context, inv *invoice, now time.Time) (bool, error) {
	if inv.live && inv.agg.Status != "" && e.gateway != nil {
		// An orphaned charge is settled first; while its outcome stays
		// unknown, the invoice is charged under no other key (mayCharge)
		// but the rest of its work goes on.
		if s, ok := e.orphan(inv); ok {
			if progressed, err := e.settle(ctx, inv, s, now); progressed || err != nil {
				return progressed, err
			}
		}
	}
	if inv.live && inv.cardChanged != "" {
		pm := inv.cardChanged
		inv.cardChanged = ""
		s := e.situation(inv, now)
		s.Card = e.st.card(pm).history
		evs, err := domain.OnPaymentMethodChanged(s)
		if e.refused(inv, err) {
			return false, nil
		}
		e.emit(inv, evs)
		return true, nil
	}
	if inv.live && inv.agg.Status != "" {
		s := e.situation(inv, now)
		if domain.NeedsPlan(s) {
			s.Plan = e.smartPlan(ctx, inv, s)
		}
		due, err := e.decideDue(s)
		if e.refused(inv, err) {
			return false, nil
		}
		if len(due.Events) > 0 {
			// The charge and reminders of due were decided on the state
			// these events leave; take the charge now, reminders next step.
			e.emit(inv, due.Events)
			if c := due.Charge; c != nil && e.mayCharge(inv, *c, now) {
				_, err := e.charge(ctx, inv, e.situation(inv, now), *c, now)
				return true, err
			}
			return true, nil
		}
		if c := due.Charge; c != nil && e.mayCharge(inv, *c, now) {
			return e.charge(ctx, inv, s, *c, now)
		}
		for _, r := range due.Reminders {
			if t, ok := e.reminderDue(inv, r); ok && !t.After(now) {
				if e.halted() {
					return false, errHalted
				}
				e.sendReminder(ctx, inv, r, now)
				return true, ctx.Err()
			}
		}
	}
	for _, n := range inv.notes {
		if !n.done && !n.at.After(now) {
			if e.halted() {
				return false, errHalted
			}
			e.sendWebhook(ctx, inv, n, now)
			return true, ctx.Err()
		}
	}
	return false, nil
}

// mayCharge: the engine charges only with a gateway, makes a first charge
// only when configured to, waits after a gateway error, and does not send
// again a charge held after a refusal (invoice.chargeHeld).
func (e *Engine) mayCharge(inv *invoice, c domain.Charge, now time.Time) bool {
	return e.gateway != nil && (c.Initiator != domain.InitiatorInitial || e.cfg.initialCharge) && !now.Before(inv.chargeRetryAt) &&
		!inv.holds(c.AttemptNumber) && !e.outstanding(inv, c.AttemptNumber)
}

// holds reports whether attempt n's charge is held (invoice.chargeHeld).
func (inv *invoice) holds(n int) bool {
	return inv.chargeHeld != "" && inv.chargeHeld == chargeKey(inv.id, n)
}

// chargeKey is the idempotency key of attempt n of invoice id.
func chargeKey(id string, n int) string { return id + "/" + strconv.Itoa(n) }

// refused logs a decision the domain refused. It cannot be retried
// usefully until the ledger changes, so the invoice waits for an event.
func (e *Engine) refused(inv *invoice, err error) bool {
	if err != nil {
		e.log.Error("dunning: decision refused", "invoice", inv.id, "err", err)
		return true
	}
	return false
}

// situation is what the domain's decisions read for inv at now.
func (e *Engine) situation(inv *invoice, now time.Time) domain.Situation {
	s := domain.Situation{Now: now, Invoice: inv.agg, Settings: e.st.settings.Collection}
	if id := inv.agg.SubscriptionID; id != "" {
		s.Subscription = e.st.subs[id]
	}
	s.PresetID, s.Preset = e.st.preset(inv.agg)
	if pm := inv.agg.PaymentMethodID; pm != "" {
		s.Card = e.st.card(pm).history
	}
	return s
}

// charge makes the attempt the domain asks for and records its outcome
// with what it decides, in one append to the invoice (and one to the
// subscription, before it). It makes none once a flush has failed: the
// attempt could not be recorded (halt.go). An attempt decided again
// before the first decision's is written sends the first request again
// and records it (sent.go).
func (e *Engine) charge(ctx context.Context, inv *invoice, s domain.Situation, c domain.Charge, now time.Time) (bool, error) {
	if e.halted() {
		return false, errHalted
	}
	req, c := e.chargeRequest(inv, c, now)
	res, err := e.gateway.Charge(ctx, req)
	if err != nil {
		return e.chargeFailed(ctx, inv, req, err, now, "the charge")
	}
	inv.chargeRetryAt = time.Time{}
	card := e.st.card(c.PaymentMethodID)
	a := c.Attempt(now)
	a.Outcome, a.DeclineCode, a.NetworkDeclineCode, a.AdviceCode = res.Outcome, res.DeclineCode, res.NetworkDeclineCode, res.AdviceCode
	a.Network, a.Funding, a.ChargeID = card.history.Network, card.funding, res.ChargeID
	if a.Outcome == "" {
		a.Outcome = domain.Failed
	}
	evs, err := e.decide(s, func(s domain.Situation) ([]domain.Event, error) { return domain.RecordPaymentAttempt(s, a) })
	if err != nil {
		// The ledger does not admit the attempt: a success for more than
		// remains (or on an invoice no longer payable) took money all the
		// same, and is recorded outside its attempt (settle.go); a decline
		// moved none, and is forgotten (its charge held too, unless the
		// invoice takes no payment any more). Nothing else is charged
		// under the key.
		if a.Outcome == domain.Succeeded {
			reason := domain.ReasonOverRemainder
			if !inv.payable() {
				reason = domain.ReasonInvoiceClosed
			}
			if e.recordOutside(inv, now, req, res, reason) {
				e.stats.Charges++
			}
			return true, nil
		}
		if inv.payable() {
			// Refused for another reason (an unknown decline code, a bad
			// advice code, no payment method): deciding the attempt again
			// would send the same request and meet the same refusal. No
			// money moved, so the request is forgotten, but the attempt's
			// charge is held until the ledger changes.
			e.log.Error("dunning: the ledger refuses a declined charge's attempt; holding the charge",
				"key", req.IdempotencyKey, "amount", req.Amount, "err", err)
			e.forget(inv.id, req.IdempotencyKey)
			inv.chargeHeld = req.IdempotencyKey
			return true, nil
		}
		e.log.Info("dunning: declined charge on an invoice that takes no payment any more; nothing to record",
			"key", req.IdempotencyKey, "remaining", inv.agg.AmountRemaining, "status", inv.agg.Status, "err", err)
		e.forget(inv.id, req.IdempotencyKey)
		return true, nil
	}
	e.emit(inv, evs)
	e.markStaged(req.IdempotencyKey)
	e.charges = append(e.charges, UnrecordedCharge{IdempotencyKey: req.IdempotencyKey, InvoiceID: inv.id, AttemptNumber: c.AttemptNumber, Outcome: a.Outcome, ChargeID: a.ChargeID})
	e.stats.Charges++
	return true, nil
}

// chargeFailed handles a gateway error for req, what names the charge in
// the log. ErrKeyReused is a definite refusal (the key was sent before
// with other parameters, by an engine before a restart): sending again
// would be refused again, so the key is held, never sent again, and since
// the first request under it may have taken money it still blocks the
// invoice's later keys (outstanding). Any other error leaves the outcome
// unknown: the same request goes again in a minute.
func (e *Engine) chargeFailed(ctx context.Context, inv *invoice, req ChargeRequest, err error, now time.Time, what string) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if errors.Is(err, ErrKeyReused) {
		e.log.Error("dunning: the gateway refuses "+what+", its key used before with other parameters; reconcile it by idempotency key",
			"invoice", inv.id, "key", req.IdempotencyKey, "amount", req.Amount, "err", err)
		e.hold(inv, req.IdempotencyKey)
		return true, nil
	}
	e.log.Warn("dunning: "+what+": outcome unknown; will try again", "invoice", inv.id, "key", req.IdempotencyKey, "err", err)
	inv.chargeRetryAt = now.Add(time.Minute)
	return false, nil
}
