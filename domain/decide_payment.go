package domain

// OnPayment decides what follows money received on the invoice (a
// successful attempt or a partial payment, already applied) or its
// voiding: a remainder within the auto-reconcile threshold is credited
// and the invoice marked paid; a paid or voided invoice resumes the
// subscription its dunning paused or made past due. It returns nothing
// when nothing is pending.
func OnPayment(s Situation) ([]Event, error) {
	d := newDecider(s)
	d.onPayment()
	return d.result()
}

func (d *decider) onPayment() {
	inv := d.inv
	if d.reconcilable() {
		d.do(inv.Reconcile(d.s.Now))
	}
	switch {
	case inv.Status == InvoicePaidStatus && d.held():
		d.do(d.sub.Resume(ReasonPaymentRecovered, inv.ID, d.s.Now))
	case inv.Status == InvoiceVoid && d.held():
		// A voided invoice is owed no more: what it held is released.
		d.do(d.sub.Resume(ReasonInvoiceVoided, inv.ID, d.s.Now))
	}
}

func (d *decider) reconcilable() bool {
	return d.inv.reconcilable(d.inv.settingsInForce(d.s.Settings))
}

// reconcilable: part of the invoice was paid and what remains is within
// the auto-reconcile threshold of the settings in force.
func (inv *Invoice) reconcilable(settings CollectionSettings) bool {
	return (inv.Status == InvoiceOpen || inv.Status == InvoiceUncollectible) &&
		inv.AmountPaid > 0 && inv.AmountRemaining > 0 && inv.AmountRemaining <= settings.AutoReconcileThreshold
}

// settingsInForce are the run's snapshot while a run is active, else
// current.
func (inv *Invoice) settingsInForce(current CollectionSettings) CollectionSettings {
	if inv.Run.Active() {
		return inv.Run.Settings
	}
	return current
}

// RecordPaymentAttempt records an attempt's outcome together with
// everything it decides (OnPaymentFailed or OnPayment), as one list with
// other streams' events first. The engine appends it after each charge;
// if it crashes between the appends, the charge is repeated under the
// same attempt number (the gateway dedupes it) and the decision finds the
// subscription already changed. The attempt is the engine's own charge:
// a failed one may be for more than remains (see recordAttempt).
func RecordPaymentAttempt(s Situation, a PaymentAttempted) ([]Event, error) {
	d := newDecider(s)
	if !d.do(d.inv.recordAttempt(a, true)) {
		return d.result()
	}
	if a.PaymentMethodID == d.s.Card.PaymentMethodID {
		d.s.Card = withAttempt(d.s.Card, a)
	}
	if a.Outcome == Failed {
		// A smart run's planner needs the failure recorded first: the
		// decision then stays pending for DecideDue with a plan.
		if d.s.Plan == nil && NeedsPlan(Situation{Invoice: d.inv, Preset: d.s.Preset}) {
			return d.result()
		}
		d.onFailure()
	} else {
		d.onPayment()
	}
	return d.result()
}

// RecordChargeOutsideAttempt records a successful charge of the engine
// that the ledger cannot hold as its attempt (see ChargeOutsideAttempt),
// in any invoice status: the part of it that fits what remains of an open
// or uncollectible invoice is applied as a payment received (with what
// that payment decides), the rest is recorded as owed back. c.Applied is
// computed here; c.Reason is the caller's.
func RecordChargeOutsideAttempt(s Situation, c ChargeOutsideAttempt) ([]Event, error) {
	d := newDecider(s)
	inv := d.inv
	var fe fieldErrs
	if !inv.Exists() {
		return nil, stateErr(ErrNotFound, "invoice", "invoice_id", "no such invoice")
	}
	if c.InvoiceID != inv.ID {
		fe.add("invoice_id", CodeMismatch, "charge names invoice %q, stream holds %q", c.InvoiceID, inv.ID)
	}
	fe.require("idempotency_key", c.IdempotencyKey)
	fe.require("reason", c.Reason)
	if c.Amount <= 0 {
		fe.add("amount", CodeOutOfRange, "must be at least 1, got %d", c.Amount)
	}
	if c.Currency != inv.Currency {
		fe.add("currency", CodeMismatch, "invoice is in %q, got %q", inv.Currency, c.Currency)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	c.Applied = 0
	if inv.payable() == nil {
		c.Applied = min(c.Amount, inv.AmountRemaining)
	}
	if !d.do([]Event{c}, nil) {
		return d.result()
	}
	if c.Applied > 0 {
		d.do(inv.ReceivePartialPayment(c.Applied, c.OccurredAt))
		d.onPayment()
	}
	return d.result()
}

// withAttempt returns card with a added, without touching the caller's
// slice.
func withAttempt(card CardHistory, a PaymentAttempted) CardHistory {
	for _, have := range card.Attempts {
		if have.At.Equal(a.OccurredAt) && have.DeclineCode == a.DeclineCode && have.AdviceCode == a.AdviceCode {
			return card // already folded in by the caller
		}
	}
	card.Attempts = append(card.Attempts[:len(card.Attempts):len(card.Attempts)], CardAttemptOf(a))
	return card
}

// OnPaymentMethodChanged decides what follows a new card for the
// invoice's customer (s.Card is the new or updated card's history): a
// new card restarts retry eligibility, so an active run with retries
// left retries at once — at the earliest the network rules allow on the
// new card — replacing a later pending retry or lifting a block. Nothing
// happens when the card is still not eligible or no run is active.
func OnPaymentMethodChanged(s Situation) ([]Event, error) {
	d := newDecider(s)
	d.onCardChange()
	return d.result()
}

func (d *decider) onCardChange() {
	inv, now := d.inv, d.s.Now
	if inv.Status != InvoiceOpen || !inv.Run.Active() || inv.Run.RetriesLeft() == 0 {
		return
	}
	earliest, rule := EarliestRetry(d.s.Card, now)
	if earliest.IsZero() {
		return
	}
	pending := inv.Run.PendingRetry
	samePM := d.s.Card.PaymentMethodID == "" || d.s.Card.PaymentMethodID == inv.PaymentMethodID
	if pending != nil && samePM && !pending.At.After(earliest) {
		return
	}
	r := RetryScheduled{Base: Base{OccurredAt: now}, At: earliest, Source: SourceSchedule, Propensity: 1}
	if earliest.After(now) {
		r.Rule = rule
	}
	if !samePM {
		r.PaymentMethodID = d.s.Card.PaymentMethodID
	}
	d.do(inv.ScheduleRetry(r))
}
