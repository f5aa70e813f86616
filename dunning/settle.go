package dunning

import (
	"context"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Settling orphaned charges. A charge request the engine remembers
// (sent.go) is normally written as its attempt, or decided again under
// its key and sent again. But another writer may take its attempt number
// (a customer's own attempt recorded through the API) or close the
// invoice (paid out of band, voided) while the charge is in flight or its
// outcome unknown; then no decision ever names the key again. Such a key
// is orphaned, and the engine settles it before anything else for the
// invoice: it sends the same request again (the processor answers a
// repeated key with the first outcome, so nothing is charged twice) until
// it has a definite answer. A decline moved no money: the request is
// forgotten. A success took money the ledger does not hold: it is
// recorded as a ChargeOutsideAttempt (domain.RecordChargeOutsideAttempt),
// whose part that fits an open invoice is applied as a payment, the rest
// owed back; the request is forgotten once that is written. Until every
// earlier key of an invoice is settled, the engine charges it under no
// other key (mayCharge): a second charge while the first one's outcome is
// unknown or unrecorded is how a customer is charged twice. A held key
// (the gateway refused it as reused, or the ledger refused what it
// charged) is definite: it is never settled, only reconciled by its key,
// and it keeps blocking later keys (doc.go).

// orphan returns a key of inv's requests that no decision will name
// again, if any: its attempt number is taken in the ledger or the invoice
// takes no payment any more, nothing of it is staged, and it is not held
// (a held key is left to reconciliation, never sent again).
func (e *Engine) orphan(inv *invoice) (sentCharge, bool) {
	for _, k := range e.sentBy[inv.id] {
		s := e.sent[k]
		if !s.staged && !s.held && (s.charge.AttemptNumber <= inv.agg.AttemptCount || !inv.payable()) {
			return s, true
		}
	}
	return sentCharge{}, false
}

// outstanding reports whether inv has a request for an earlier attempt
// than n whose outcome is unknown or not recorded (not staged: one staged
// is applied to the engine's memory, and its write in flight either
// lands, fails and stops the engine, or conflicts and is re-read, which
// unstages it). Requests for later attempts (staged on top of a flush
// that then conflicted) are decided again in order, after n's.
func (e *Engine) outstanding(inv *invoice, n int) bool {
	for _, k := range e.sentBy[inv.id] {
		if s := e.sent[k]; s.charge.AttemptNumber < n && !s.staged {
			return true
		}
	}
	return false
}

// settle sends orphaned request s again and records its definite answer.
func (e *Engine) settle(ctx context.Context, inv *invoice, s sentCharge, now time.Time) (bool, error) {
	if now.Before(inv.chargeRetryAt) {
		return false, nil
	}
	if e.halted() {
		return false, errHalted
	}
	req := s.req
	res, err := e.gateway.Charge(ctx, req)
	if err != nil {
		return e.chargeFailed(ctx, inv, req, err, now, "a charge no decision will name again")
	}
	inv.chargeRetryAt = time.Time{}
	if res.Outcome != domain.Succeeded {
		e.log.Info("dunning: settled a charge no decision will name again: declined, nothing to record",
			"key", req.IdempotencyKey, "attempts", inv.agg.AttemptCount, "status", inv.agg.Status)
		e.forget(inv.id, req.IdempotencyKey)
		return true, nil
	}
	reason := domain.ReasonInvoiceClosed
	if inv.payable() {
		reason = domain.ReasonAttemptTaken
	}
	return e.recordOutside(inv, now, req, res, reason), nil
}

// recordOutside records a successful charge the ledger cannot hold as
// its attempt (domain.ChargeOutsideAttempt), and reports whether it did;
// the request is forgotten once the record is written (forgetWritten).
func (e *Engine) recordOutside(inv *invoice, now time.Time, req ChargeRequest, res ChargeResult, reason string) bool {
	c := domain.ChargeOutsideAttempt{Base: domain.Base{OccurredAt: now}, InvoiceID: inv.id, IdempotencyKey: req.IdempotencyKey,
		PaymentMethodID: req.PaymentMethodID, ChargeID: res.ChargeID, Amount: req.Amount, Currency: req.Currency, Reason: reason}
	evs, err := e.decide(e.situation(inv, now), func(s domain.Situation) ([]domain.Event, error) {
		return domain.RecordChargeOutsideAttempt(s, c)
	})
	if err != nil {
		e.log.Error("dunning: charge made but the ledger refuses it; reconcile it by idempotency key",
			"key", req.IdempotencyKey, "amount", req.Amount, "charge", res.ChargeID, "err", err)
		e.hold(inv, req.IdempotencyKey)
		return false
	}
	e.log.Warn("dunning: charge made outside its attempt; recorded, the part the invoice cannot take is owed back (reconcile by idempotency key)",
		"key", req.IdempotencyKey, "amount", req.Amount, "charge", res.ChargeID, "reason", reason)
	e.emit(inv, evs)
	e.markStaged(req.IdempotencyKey)
	e.charges = append(e.charges, UnrecordedCharge{IdempotencyKey: req.IdempotencyKey, InvoiceID: inv.id,
		AttemptNumber: req.AttemptNumber, Outcome: domain.Succeeded, ChargeID: res.ChargeID})
	return true
}
