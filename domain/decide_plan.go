package domain

import "time"

// RetryContext returns what the domain knows for a retry planner: the
// invoice, its attempts, the card's recent attempts, and the run's preset
// snapshot (or the preset that would start it), retries left and window
// end. The engine adds what lives in other streams (customer country and
// time zone, card funding and country, card activity, reminders sent).
func (s Situation) RetryContext() RetryContext {
	inv := s.Invoice
	spec, left, start := s.Preset, s.Preset.MaxRetries(), s.Now
	if inv.Run != nil {
		spec, left, start = inv.Run.Preset, inv.Run.RetriesLeft(), inv.Run.StartedAt
	}
	windowEnd := start.Add(time.Duration(spec.SmartWindowDays) * day)
	cutoff := s.Now.Add(-30 * day)
	var cardTimes []time.Time
	for _, a := range s.Card.Attempts {
		if a.At.After(cutoff) && !a.At.After(s.Now) {
			cardTimes = append(cardTimes, a.At)
		}
	}
	pm := inv.PaymentMethodID
	if s.Card.PaymentMethodID != "" {
		pm = s.Card.PaymentMethodID
	}
	reminders := 0
	for _, r := range inv.Reminders {
		if r.Sent {
			reminders++
		}
	}
	return RetryContext{
		Now: s.Now, InvoiceID: inv.ID, Amount: inv.AmountRemaining, Currency: inv.Currency,
		PaymentMethodID: pm, Network: s.Card.Network,
		Attempts: append([]PaymentAttempted(nil), inv.Attempts...), CardAttempts: cardTimes,
		RemindersSent: reminders, Preset: spec, RetriesLeft: left, WindowEnd: windowEnd,
	}
}
