package domain

import "time"

// CardAttempt is one charge on a card, as the network rules see it.
type CardAttempt struct {
	At          time.Time
	Declined    bool
	DeclineCode string // processor code
	NetworkCode string // ISO 8583 response code
	AdviceCode  string // Mastercard merchant advice code

	// facts caches what the rules read of the codes (see classify); zero
	// means not computed yet, so literals without it still work.
	facts attemptFacts
}

// attemptFacts are the network-independent facts of a declined attempt's
// codes, computed once so that the rules' inner loop does no hashing.
type attemptFacts struct {
	ok        bool
	visaCat1  bool // response code in Visa category 1
	hard      bool // processor code not retryable on the same card
	cardData  bool // ... because the card data is wrong (new data lifts it)
	adviceIdx int8 // two-digit advice code + 1, or 0
}

func classify(a *CardAttempt) attemptFacts {
	if a.facts.ok {
		return a.facts
	}
	f := attemptFacts{ok: true}
	var d DeclineInfo
	known := false
	if a.DeclineCode != "" {
		d, known = declineTable[a.DeclineCode]
	}
	nc := a.NetworkCode
	if nc == "" {
		nc = d.NetworkCode
	}
	f.visaCat1 = visaCategory1(nc)
	f.hard = known && !d.Retryable
	f.cardData = f.hard && d.Category == CategoryCardData
	if c := a.AdviceCode; len(c) == 2 && c[0] >= '0' && c[0] <= '9' && c[1] >= '0' && c[1] <= '9' {
		f.adviceIdx = int8(int(c[0]-'0')*10+int(c[1]-'0')) + 1
	}
	return f
}

// CardAttemptOf returns the network-rule view of a recorded attempt.
func CardAttemptOf(p PaymentAttempted) CardAttempt {
	a := CardAttempt{
		At:          p.OccurredAt,
		Declined:    p.Outcome == Failed,
		DeclineCode: p.DeclineCode,
		NetworkCode: p.NetworkDeclineCode,
		AdviceCode:  p.AdviceCode,
	}
	a.facts = classify(&a)
	return a
}

// CardHistory is what the network rules need to know about one card:
// its network and its attempts, across invoices, since its number last
// changed (a new payment method or a new number restarts eligibility).
type CardHistory struct {
	PaymentMethodID string
	Network         Network
	// Attempts are oldest first.
	Attempts []CardAttempt
	// DataUpdatedAt is the last credential update that kept the number
	// (e.g. a new expiry): it lifts "fix the data first" hard declines
	// recorded before it, but not Visa category 1 or advice 03/21.
	DataUpdatedAt time.Time
}

// Observe folds one event of the card's history into h: attempts on this
// payment method are added, a new number restarts eligibility, and other
// credential updates lift data-quality blocks. Other events are ignored,
// so callers may feed a whole $all stream.
func (h *CardHistory) Observe(e Event) {
	switch e := e.(type) {
	case PaymentMethodAttached:
		if e.PaymentMethodID == h.PaymentMethodID {
			h.Network = e.Network
		}
	case PaymentMethodUpdated:
		if e.PaymentMethodID != h.PaymentMethodID {
			return
		}
		if e.NewNumber {
			h.Attempts = h.Attempts[:0]
			h.DataUpdatedAt = time.Time{}
			return
		}
		h.DataUpdatedAt = e.OccurredAt
	case PaymentAttempted:
		if e.PaymentMethodID == h.PaymentMethodID {
			h.Add(CardAttemptOf(e))
		}
	}
}

// Add appends an attempt, keeping Attempts ordered by time.
func (h *CardHistory) Add(a CardAttempt) {
	a.facts = classify(&a)
	i := len(h.Attempts)
	for i > 0 && h.Attempts[i-1].At.After(a.At) {
		i--
	}
	h.Attempts = append(h.Attempts, CardAttempt{})
	copy(h.Attempts[i+1:], h.Attempts[i:])
	h.Attempts[i] = a
}

// Trim drops attempts that can no longer bind any rule at now (older than
// the longest cap window and the longest wait), keeping every attempt that
// blocks the card for good, so a long-lived history stays small.
func (h *CardHistory) Trim(now time.Time) {
	cutoff := now.Add(-maxRuleHorizon)
	rules := compiledFor(h.Network)
	kept := h.Attempts[:0]
	for _, a := range h.Attempts {
		if !a.At.Before(cutoff) || rules.never(h, &a) != nil {
			kept = append(kept, a)
		}
	}
	h.Attempts = kept
}

var maxRuleHorizon = func() time.Duration {
	var m time.Duration
	for _, r := range NetworkRules {
		m = max(m, r.Window, r.Wait)
	}
	return m
}()
