package dunning

import (
	"time"

	"github.com/recoupledger/recoup/domain"
)

// One idempotency key, one request. The key of a charge is
// "<invoice>/<attempt>", and a processor answers a repeated key with the
// first request's outcome (or, as Stripe does, refuses a key reused with
// other parameters). The engine may decide an attempt again before the
// first decision is written: after a conflict it re-reads the invoice and
// decides from what another writer recorded meanwhile (a partial payment
// lowers what remains), and after an unknown outcome it tries again later.
// Sending that key with the new decision's amount would misstate the
// ledger (the processor answers for the first amount, the engine would
// record the second) or meet an idempotency error for ever. So the engine
// remembers every request it sent until the attempt is written, and a
// charge decided again under the same key sends the same request (the
// same parameters; At is not one of them, see Gateway) and
// records what it charged: the first decision's amount, card and
// initiator, with the processor's answer (a declined charge for more than
// now remains is admitted: no money moved). If the ledger does not admit
// that attempt (a success for more than remains, or a closed invoice),
// the engine records what it did: a ChargeOutsideAttempt (settle.go); a
// decline the ledger does not admit is forgotten (and its charge held if
// the invoice still takes payments). The key is never derived from
// the amount: a second key would charge twice.
//
// The memory is the engine's: a restarted engine has none, and charges
// whose attempts were not written are decided again from the ledger, at
// another time but with the same parameters if the ledger is unchanged;
// if the ledger changed meanwhile, a gateway that refuses the key reused with
// other parameters answers ErrKeyReused, and the charge is held and left
// to be reconciled by its key (see Gateway, and the known limit in
// doc.go). A request is forgotten once its attempt (or the charge outside
// its attempt) is written, or once it is settled as declined.

// sentCharge is a charge request the engine sent whose attempt is not yet
// written, with the decision it carried out.
type sentCharge struct {
	req    ChargeRequest
	charge domain.Charge
	// staged: what the request charged is applied to the engine's memory
	// and staged to be written (its attempt, or a ChargeOutsideAttempt),
	// so the key is not orphaned (settle.go). A re-read of the invoice
	// clears it.
	staged bool
	// held: the request is not to be sent again (invoice.chargeHeld): the
	// gateway refused its key as reused, or the ledger refused what it
	// charged. Its outcome is for reconciliation by key; it is never
	// settled (orphan skips it) but still blocks later keys (outstanding).
	held bool
}

// chargeRequest returns the request that carries out charge c of inv at
// now, and the charge whose attempt to record: the request already sent
// under c's key and its charge, if there is one; else a new request,
// remembered until its attempt is written (forgetWritten).
func (e *Engine) chargeRequest(inv *invoice, c domain.Charge, now time.Time) (ChargeRequest, domain.Charge) {
	key := chargeKey(inv.id, c.AttemptNumber)
	if s, ok := e.sent[key]; ok {
		if s.charge != c {
			e.log.Info("dunning: charge decided again under a key already sent; sending the same request", "key", key,
				"amount", s.req.Amount, "decided", c.Amount, "payment_method", s.req.PaymentMethodID)
		}
		return s.req, s.charge
	}
	req := ChargeRequest{
		IdempotencyKey: key, InvoiceID: inv.id, CustomerID: inv.agg.CustomerID,
		PaymentMethodID: c.PaymentMethodID, Amount: c.Amount, Currency: c.Currency, AttemptNumber: c.AttemptNumber,
		Initiator: c.Initiator, At: now,
	}
	if e.sent == nil {
		e.sent, e.sentBy = map[string]sentCharge{}, map[string][]string{}
	}
	e.sent[key] = sentCharge{req: req, charge: c}
	e.sentBy[inv.id] = append(e.sentBy[inv.id], key)
	return req, c
}

// markStaged notes that what key's request charged is staged to be
// written.
func (e *Engine) markStaged(key string) {
	if s, ok := e.sent[key]; ok {
		s.staged = true
		e.sent[key] = s
	}
}

// hold notes that key's charge of inv is not to be sent again
// (invoice.chargeHeld, sentCharge.held).
func (e *Engine) hold(inv *invoice, key string) {
	inv.chargeHeld = key
	if s, ok := e.sent[key]; ok {
		s.held = true
		e.sent[key] = s
	}
}

// heldBefore reports whether inv has a held request for an earlier
// attempt than n: attempt n is not charged (outstanding) until that key is
// reconciled, which the engine cannot do, so nothing is due for it.
func (e *Engine) heldBefore(inv *invoice, n int) bool {
	for _, k := range e.sentBy[inv.id] {
		if s := e.sent[k]; s.held && s.charge.AttemptNumber < n {
			return true
		}
	}
	return false
}

// forget drops key's request: its charge is written, or settled with
// nothing to write.
func (e *Engine) forget(invoiceID, key string) {
	if _, ok := e.sent[key]; !ok {
		return
	}
	delete(e.sent, key)
	keys := e.sentBy[invoiceID]
	for i, k := range keys {
		if k == key {
			keys = append(keys[:i], keys[i+1:]...)
			break
		}
	}
	if len(keys) == 0 {
		delete(e.sentBy, invoiceID)
	} else {
		e.sentBy[invoiceID] = keys
	}
}

// unstage notes that the invoice was re-read: nothing of its requests is
// staged any more.
func (e *Engine) unstage(invoiceID string) {
	for _, k := range e.sentBy[invoiceID] {
		s := e.sent[k]
		s.staged = false
		e.sent[k] = s
	}
}

// forgetWritten forgets the requests of the charges whose attempts flight
// f wrote: all of a written flight's but those of invoices whose batches
// conflicted (set aside, to be decided again).
func (e *Engine) forgetWritten(f *flight) {
	for _, c := range f.charges {
		if !f.conflicted(c.InvoiceID) {
			e.forget(c.InvoiceID, c.IdempotencyKey)
		}
	}
}

// conflicted reports whether invoice id's batch was set aside as
// conflicted.
func (f *flight) conflicted(id string) bool {
	for _, b := range f.conflicts {
		if b.stream == domain.InvoiceStream(id) {
			return true
		}
	}
	return false
}
