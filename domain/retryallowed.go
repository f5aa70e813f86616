package domain

import "time"

// EarliestRetry returns the earliest time at or after from when the
// network rules allow another attempt on the card, and the rule that binds
// it ("" when from itself is allowed). A zero time means never on this
// card: only a new card number (or, for data declines, new card data)
// makes it eligible again. Attempts after from are ignored by the caps:
// planners ask in time order.
//
// It allocates nothing and reads each attempt once; the simulator calls
// it for every candidate slot.
func EarliestRetry(card CardHistory, from time.Time) (time.Time, string) {
	rules := compiledFor(card.Network)
	earliest, rule := from, ""
	for i := range card.Attempts {
		a := &card.Attempts[i]
		if !a.Declined {
			continue
		}
		if r := rules.never(&card, a); r != nil {
			return time.Time{}, r.ID
		}
		if a.AdviceCode == "" {
			continue
		}
		if r := rules.adviceRule(a.AdviceCode); r != nil && r.Kind == RuleMinWait {
			if t := a.At.Add(r.Wait); t.After(earliest) {
				earliest, rule = t, r.ID
			}
		}
	}
	for _, r := range rules.caps {
		if t := capEarliest(card.Attempts, from, r); t.After(earliest) {
			earliest, rule = t, r.ID
		}
	}
	return earliest, rule
}

// RetryAllowed reports whether an attempt at t is allowed; when it is not,
// earliest is the first allowed time (zero for never) and rule names the
// binding rule.
func RetryAllowed(card CardHistory, t time.Time) (ok bool, earliest time.Time, rule string) {
	e, rule := EarliestRetry(card, t)
	if e.IsZero() {
		return false, e, rule
	}
	if e.After(t) {
		return false, e, rule
	}
	return true, t, ""
}

// never returns the rule that forbids any retry after attempt a, or nil.
func (c *compiledRules) never(card *CardHistory, a *CardAttempt) *NetworkRule {
	if !a.Declined {
		return nil
	}
	f := classify(a)
	if f.adviceIdx > 0 {
		if r := c.advice[f.adviceIdx-1]; r != nil && r.Kind == RuleNever {
			return r
		}
	}
	if f.visaCat1 && c.visaCategory1 != nil {
		return c.visaCategory1
	}
	if f.hard && c.hardDecline != nil {
		// New card data fixes a data decline; nothing fixes the rest.
		if f.cardData && a.At.Before(card.DataUpdatedAt) {
			return nil
		}
		return c.hardDecline
	}
	return nil
}

// capEarliest returns when the declined attempts at or before from, in
// the trailing window, drop below the cap; from itself when they are
// already below it.
func capEarliest(attempts []CardAttempt, from time.Time, r *NetworkRule) time.Time {
	start := from.Add(-r.Window)
	n := 0
	for i := len(attempts) - 1; i >= 0; i-- {
		a := &attempts[i]
		if a.At.After(from) || !a.Declined {
			continue
		}
		if !a.At.After(start) {
			break
		}
		n++
		if n == r.Max {
			// The window holds Max declines; the oldest of them must
			// leave it: the window (t-W, t] excludes a.At from t = a.At+W.
			return a.At.Add(r.Window)
		}
	}
	return from
}
