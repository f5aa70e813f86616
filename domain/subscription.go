package domain

import "time"

// Subscription is the subscription aggregate: active | past_due | paused
// | canceled (final). HeldBy names the invoice whose dunning paused it or
// made it past due, so that paying that invoice resumes it and nothing
// else does.
type Subscription struct {
	ID              string
	CustomerID      string
	ProductID       string
	PaymentMethodID string
	Amount          int64
	Currency        string
	Interval        Interval
	IntervalCount   int
	Status          SubscriptionStatus // "" before it starts
	Reason          string             // why it was last paused, resumed or canceled
	HeldBy          string
	CanceledAt      *time.Time
	Version         int
}

// RebuildSubscription folds a stream's events into a Subscription.
func RebuildSubscription(events []Event) *Subscription {
	s := &Subscription{}
	for _, e := range events {
		s.Apply(e)
	}
	return s
}

// Apply folds one event into the subscription.
func (s *Subscription) Apply(e Event) {
	s.Version++
	switch e := e.(type) {
	case SubscriptionStarted:
		s.ID, s.CustomerID, s.ProductID, s.PaymentMethodID = e.SubscriptionID, e.CustomerID, e.ProductID, e.PaymentMethodID
		s.Amount, s.Currency, s.Interval, s.IntervalCount = e.Amount, e.Currency, e.Interval, e.IntervalCount
		s.Status = SubscriptionActive
	case SubscriptionPaused:
		s.Status, s.Reason, s.HeldBy = SubscriptionPausedSt, e.Reason, e.InvoiceID
	case SubscriptionMarkedPastDue:
		s.Status, s.HeldBy = SubscriptionPastDue, e.InvoiceID
	case SubscriptionResumed:
		s.Status, s.Reason, s.HeldBy = SubscriptionActive, e.Reason, ""
	case SubscriptionCanceled:
		t := e.OccurredAt
		s.Status, s.Reason, s.HeldBy, s.CanceledAt = SubscriptionCanceledSt, e.Reason, "", &t
	}
}

func (s *Subscription) subject() string { return "subscription " + s.ID }

func (s *Subscription) need(allowed ...SubscriptionStatus) error {
	if s.Status == "" {
		return stateErr(ErrNotFound, "subscription", "subscription_id", "no such subscription")
	}
	for _, a := range allowed {
		if s.Status == a {
			return nil
		}
	}
	return stateErr(ErrInvalidTransition, s.subject(), "status", "not allowed while %s", s.Status)
}

// Start records a new subscription.
func (s *Subscription) Start(c SubscriptionStarted) ([]Event, error) {
	var fe fieldErrs
	fe.require("subscription_id", c.SubscriptionID)
	fe.require("customer_id", c.CustomerID)
	fe.require("product_id", c.ProductID)
	fe.nonNegative("amount", c.Amount)
	if !currencyRE.MatchString(c.Currency) {
		fe.add("currency", CodeInvalid, "must be a lower-case ISO 4217 code, got %q", c.Currency)
	}
	if c.Interval != Month && c.Interval != Year {
		fe.add("interval", CodeOneOf, "must be month or year, got %q", c.Interval)
	}
	if c.IntervalCount < 1 {
		fe.add("interval_count", CodeOutOfRange, "must be at least 1, got %d", c.IntervalCount)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if s.Status != "" {
		return nil, stateErr(ErrAlreadyExists, s.subject(), "subscription_id", "subscription exists")
	}
	return []Event{c}, nil
}

// Pause stops collection (during recovery or after a failed run).
func (s *Subscription) Pause(reason, invoiceID string, at time.Time) ([]Event, error) {
	if err := s.needReason(reason); err != nil {
		return nil, err
	}
	if err := s.need(SubscriptionActive, SubscriptionPastDue); err != nil {
		return nil, err
	}
	return []Event{SubscriptionPaused{Base: Base{OccurredAt: at}, SubscriptionID: s.ID, Reason: reason, InvoiceID: invoiceID}}, nil
}

// MarkPastDue records a failed renewal while the subscription stays on.
func (s *Subscription) MarkPastDue(invoiceID string, at time.Time) ([]Event, error) {
	if err := s.need(SubscriptionActive); err != nil {
		return nil, err
	}
	return []Event{SubscriptionMarkedPastDue{Base: Base{OccurredAt: at}, SubscriptionID: s.ID, InvoiceID: invoiceID}}, nil
}

// Resume returns a paused or past-due subscription to active.
func (s *Subscription) Resume(reason, invoiceID string, at time.Time) ([]Event, error) {
	if err := s.needReason(reason); err != nil {
		return nil, err
	}
	if err := s.need(SubscriptionPausedSt, SubscriptionPastDue); err != nil {
		return nil, err
	}
	return []Event{SubscriptionResumed{Base: Base{OccurredAt: at}, SubscriptionID: s.ID, Reason: reason, InvoiceID: invoiceID}}, nil
}

// Cancel ends the subscription for good, with its reason.
func (s *Subscription) Cancel(reason, invoiceID string, at time.Time) ([]Event, error) {
	if err := s.needReason(reason); err != nil {
		return nil, err
	}
	if err := s.need(SubscriptionActive, SubscriptionPastDue, SubscriptionPausedSt); err != nil {
		return nil, err
	}
	return []Event{SubscriptionCanceled{Base: Base{OccurredAt: at}, SubscriptionID: s.ID, Reason: reason, InvoiceID: invoiceID}}, nil
}

func (s *Subscription) needReason(reason string) error {
	var fe fieldErrs
	fe.require("reason", reason)
	return fe.err()
}

// Clone returns a copy for decisions to apply to.
func (s *Subscription) Clone() *Subscription {
	c := *s
	return &c
}
