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
// the engine records nothing it did not do: it logs the charge to be
// reconciled by its key and holds it (invoice.chargeHeld), so the key is
// not sent again while the rest of the invoice's work goes on. The key is never derived from
// the amount: a second key would charge twice.
//
// The memory is the engine's: a restarted engine has none, and charges
// whose attempts were not written are decided again from the ledger, at
// another time but with the same parameters if the ledger is unchanged;
// if the ledger changed meanwhile, a gateway that refuses the key reused with
// other parameters answers ErrKeyReused, and the charge is left to be
// reconciled the same way (see Gateway). A request is forgotten once its
// attempt is written; one whose attempt the ledger refuses stays, so that
// the key is never sent with other parameters.

// sentCharge is a charge request the engine sent whose attempt is not yet
// written, with the decision it carried out.
type sentCharge struct {
	req    ChargeRequest
	charge domain.Charge
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
		e.sent = map[string]sentCharge{}
	}
	e.sent[key] = sentCharge{req: req, charge: c}
	return req, c
}

// forgetWritten forgets the requests of the charges whose attempts flight
// f wrote: all of a written flight's but those of invoices whose batches
// conflicted (set aside, to be decided again).
func (e *Engine) forgetWritten(f *flight) {
	for _, c := range f.charges {
		if !f.conflicted(c.InvoiceID) {
			delete(e.sent, c.IdempotencyKey)
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
