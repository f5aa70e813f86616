package domain

import (
	"regexp"
	"time"
)

var currencyRE = regexp.MustCompile(`^[a-z]{3}$`)

func (inv *Invoice) subject() string { return "invoice " + inv.ID }

// transition refuses a status change Stripe does not allow: draft → open
// → paid | uncollectible | void; uncollectible → paid | void; paid and
// void are final.
func (inv *Invoice) transition(to InvoiceStatus) error {
	ok := false
	switch inv.Status {
	case "":
		ok = to == InvoiceDraft || to == InvoiceOpen
	case InvoiceDraft:
		ok = to == InvoiceOpen
	case InvoiceOpen:
		ok = to == InvoicePaidStatus || to == InvoiceUncollectible || to == InvoiceVoid
	case InvoiceUncollectible:
		ok = to == InvoicePaidStatus || to == InvoiceVoid
	}
	if !ok {
		from := inv.Status
		if from == "" {
			from = "(none)"
		}
		return stateErr(ErrInvalidTransition, inv.subject(), "status", "cannot go from %s to %s", from, to)
	}
	return nil
}

// payable: money can still be taken (open or uncollectible).
func (inv *Invoice) payable() error {
	if inv.Status == InvoiceOpen || inv.Status == InvoiceUncollectible {
		return nil
	}
	if inv.Status == "" {
		return stateErr(ErrNotFound, "invoice", "invoice_id", "no such invoice")
	}
	return stateErr(ErrInvalidTransition, inv.subject(), "status", "a %s invoice takes no payment", inv.Status)
}

// Create records a draft invoice.
func (inv *Invoice) Create(c InvoiceCreated) ([]Event, error) {
	var fe fieldErrs
	fe.require("invoice_id", c.InvoiceID)
	fe.require("customer_id", c.CustomerID)
	if err := fe.err(); err != nil {
		return nil, err
	}
	if inv.Exists() {
		return nil, stateErr(ErrAlreadyExists, inv.subject(), "invoice_id", "invoice exists")
	}
	return []Event{c}, nil
}

// Finalize opens the invoice for payment. A zero-amount invoice is paid
// at once, as Stripe does.
func (inv *Invoice) Finalize(f InvoiceFinalized) ([]Event, error) {
	var fe fieldErrs
	fe.require("invoice_id", f.InvoiceID)
	fe.require("customer_id", f.CustomerID)
	fe.nonNegative("amount", f.Amount)
	if !currencyRE.MatchString(f.Currency) {
		fe.add("currency", CodeInvalid, "must be a lower-case ISO 4217 code, got %q", f.Currency)
	}
	switch f.CollectionMethod {
	case ChargeAutomatically:
	case SendInvoice:
		if f.DueDate == nil {
			fe.add("due_date", CodeRequired, "send_invoice invoices need a due date")
		}
	default:
		fe.add("collection_method", CodeOneOf, "must be charge_automatically or send_invoice, got %q", f.CollectionMethod)
	}
	if inv.Exists() && inv.ID != f.InvoiceID {
		fe.add("invoice_id", CodeMismatch, "stream holds invoice %s", inv.ID)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if err := inv.transition(InvoiceOpen); err != nil {
		return nil, err
	}
	out := []Event{f}
	if f.Amount == 0 {
		out = append(out, InvoicePaid{Base: f.Base, InvoiceID: f.InvoiceID})
	}
	return out, nil
}

// RecordAttempt records a payment attempt; a success adds the payment and,
// when it covers the remainder, marks the invoice paid. The attempt is
// for 1 to the amount that remains: an outside writer (the API) reports
// an attempt against the invoice as it is. The engine's own charges go
// through RecordPaymentAttempt, which admits more (recordAttempt).
func (inv *Invoice) RecordAttempt(a PaymentAttempted) ([]Event, error) {
	return inv.recordAttempt(a, false)
}

// recordAttempt is RecordAttempt; failedOver admits a failed attempt for
// more than remains. The engine charges the amount it decided, and
// another writer's payment may lower the remainder while the charge is in
// flight; when the engine decides that attempt again it sends the same
// request (one idempotency key, one request), so the attempt it records
// is for the first amount. A failed attempt moved no money: recording it
// as charged is the truth, and dunning goes on under the next attempt
// number for what remains. A success for more than remains is still
// refused: that money cannot be applied to the invoice.
func (inv *Invoice) recordAttempt(a PaymentAttempted, failedOver bool) ([]Event, error) {
	if err := inv.payable(); err != nil {
		return nil, err
	}
	if err := inv.validateAttempt(a, failedOver && a.Outcome == Failed); err != nil {
		return nil, err
	}
	out := []Event{a}
	if a.Outcome == Succeeded {
		out = append(out, PaymentSucceeded{Base: a.Base, InvoiceID: a.InvoiceID, Amount: a.Amount,
			AttemptNumber: a.AttemptNumber, ChargeID: a.ChargeID})
		if a.Amount == inv.AmountRemaining {
			out = append(out, InvoicePaid{Base: a.Base, InvoiceID: a.InvoiceID, AmountPaid: inv.AmountPaid + a.Amount})
		}
	}
	return out, nil
}

func (inv *Invoice) validateAttempt(a PaymentAttempted, over bool) error {
	var fe fieldErrs
	if a.InvoiceID != inv.ID {
		fe.add("invoice_id", CodeMismatch, "attempt names invoice %q, stream holds %q", a.InvoiceID, inv.ID)
	}
	fe.require("payment_method_id", a.PaymentMethodID)
	if a.AttemptNumber != inv.AttemptCount+1 {
		fe.add("attempt_number", CodeMismatch, "next attempt is number %d, got %d", inv.AttemptCount+1, a.AttemptNumber)
	}
	// over: a failed attempt of the engine's own may be for more than
	// remains (recordAttempt).
	if a.Amount <= 0 || a.Amount > inv.AmountRemaining && !over {
		fe.add("amount", CodeOutOfRange, "must be 1 to the %d remaining, got %d", inv.AmountRemaining, a.Amount)
	}
	if a.Currency != inv.Currency {
		fe.add("currency", CodeMismatch, "invoice is in %q, got %q", inv.Currency, a.Currency)
	}
	switch a.Outcome {
	case Succeeded:
		if a.DeclineCode != "" || a.AdviceCode != "" {
			fe.add("decline_code", CodeNotAllowed, "a successful attempt has no decline code")
		}
	case Failed:
	default:
		fe.add("outcome", CodeOneOf, "must be succeeded or failed, got %q", a.Outcome)
	}
	if _, ok := declineTable[a.DeclineCode]; a.DeclineCode != "" && !ok {
		fe.add("decline_code", CodeOneOf, "unknown decline code %q", a.DeclineCode)
	}
	if a.AdviceCode != "" && !adviceCodeRE.MatchString(a.AdviceCode) {
		fe.add("advice_code", CodeInvalid, "must be two digits, got %q", a.AdviceCode)
	}
	switch a.Initiator {
	case InitiatorInitial, InitiatorRetry, InitiatorCustomer, InitiatorManual:
	default:
		fe.add("initiator", CodeOneOf, "must be initial, retry, customer or manual, got %q", a.Initiator)
	}
	switch a.Source {
	case "", SourceSmart, SourceSchedule, SourceExplore:
	default:
		fe.add("source", CodeOneOf, "must be smart, schedule or explore, got %q", a.Source)
	}
	if a.Propensity < 0 || a.Propensity > 1 {
		fe.add("propensity", CodeOutOfRange, "must be within 0 and 1, got %v", a.Propensity)
	}
	return fe.err()
}

var adviceCodeRE = regexp.MustCompile(`^[0-9]{2}$`)

// ReceivePartialPayment records money received outside an attempt; a
// payment of the whole remainder marks the invoice paid.
func (inv *Invoice) ReceivePartialPayment(amount int64, at time.Time) ([]Event, error) {
	if err := inv.payable(); err != nil {
		return nil, err
	}
	if amount <= 0 || amount > inv.AmountRemaining {
		var fe fieldErrs
		fe.add("amount", CodeOutOfRange, "must be 1 to the %d remaining, got %d", inv.AmountRemaining, amount)
		return nil, fe.err()
	}
	out := []Event{PartialPaymentReceived{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Amount: amount}}
	if amount == inv.AmountRemaining {
		out = append(out, InvoicePaid{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, AmountPaid: inv.AmountPaid + amount})
	}
	return out, nil
}

// Reconcile credits the whole remainder and marks the invoice paid. The
// threshold is the settings' business (see DecidePayment).
func (inv *Invoice) Reconcile(at time.Time) ([]Event, error) {
	if err := inv.payable(); err != nil {
		return nil, err
	}
	if err := inv.transition(InvoicePaidStatus); err != nil {
		return nil, err
	}
	if inv.AmountRemaining <= 0 {
		return nil, stateErr(ErrInvalidTransition, inv.subject(), "amount_remaining", "nothing remains to reconcile")
	}
	return []Event{
		InvoiceReconciled{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, CreditAmount: inv.AmountRemaining},
		InvoicePaid{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, AmountPaid: inv.AmountPaid},
	}, nil
}

// MarkUncollectible gives up on an open invoice; it can still be paid.
// Marking an uncollectible invoice again is a no-op.
func (inv *Invoice) MarkUncollectible(reason string, at time.Time) ([]Event, error) {
	if inv.Status == InvoiceUncollectible {
		return nil, nil
	}
	if err := inv.transition(InvoiceUncollectible); err != nil {
		return nil, err
	}
	return []Event{InvoiceMarkedUncollectible{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Reason: reason}}, nil
}

// Void cancels an open or uncollectible invoice for good.
func (inv *Invoice) Void(at time.Time) ([]Event, error) {
	if inv.Status == InvoiceVoid {
		return nil, nil
	}
	if err := inv.transition(InvoiceVoid); err != nil {
		return nil, err
	}
	return []Event{InvoiceVoided{Base: Base{OccurredAt: at}, InvoiceID: inv.ID}}, nil
}

// WriteOff writes the remainder off as bad debt: the amount is recorded
// and the invoice becomes uncollectible (so a late payment still lands).
func (inv *Invoice) WriteOff(at time.Time) ([]Event, error) {
	if err := inv.payable(); err != nil {
		return nil, err
	}
	out := []Event{InvoiceWrittenOff{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Amount: inv.AmountRemaining}}
	if inv.Status == InvoiceOpen {
		out = append(out, InvoiceMarkedUncollectible{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, Reason: "written_off"})
	}
	return out, nil
}

// LeaveOverdue leaves an open invoice past due after a failed run, to be
// marked uncollectible at uncollectibleAt when that is set.
func (inv *Invoice) LeaveOverdue(uncollectibleAt *time.Time, at time.Time) ([]Event, error) {
	if inv.Status != InvoiceOpen {
		return nil, stateErr(ErrInvalidTransition, inv.subject(), "status", "only an open invoice is left overdue, this one is %s", inv.Status)
	}
	if uncollectibleAt != nil && uncollectibleAt.Before(at) {
		return nil, &ValidationError{Fields: []FieldError{{Field: "uncollectible_at", Code: CodeOutOfRange, Detail: "must not be before the event"}}}
	}
	return []Event{InvoiceLeftOverdue{Base: Base{OccurredAt: at}, InvoiceID: inv.ID, UncollectibleAt: uncollectibleAt}}, nil
}
