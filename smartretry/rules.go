package smartretry

import (
	"slices"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// NetworkRules is the planner's default Rules: domain's network-rule
// table (domain.EarliestRetry) applied to the card history the context
// describes. The invoice's attempts carry their decline and advice codes;
// the card's other attempts in the last 30 days (CardAttempts) count
// toward the caps. A payment-method update after an attempt is read as
// new credentials, which restart eligibility for the attempts before it,
// as a new card number does.
func NetworkRules(rc *domain.RetryContext, from time.Time) (time.Time, string) {
	// A context's few attempts fit a buffer on the stack: the planner
	// asks the rules on every plan.
	var buf [8]domain.CardAttempt
	return domain.EarliestRetry(cardHistory(rc, buf[:0]), from)
}

// CardHistoryOf builds the network rules' view of the context's card.
func CardHistoryOf(rc *domain.RetryContext) domain.CardHistory {
	return cardHistory(rc, make([]domain.CardAttempt, 0, len(rc.Attempts)+len(rc.CardAttempts)))
}

// cardHistory is CardHistoryOf with its attempts appended to buf.
func cardHistory(rc *domain.RetryContext, buf []domain.CardAttempt) domain.CardHistory {
	h := domain.CardHistory{PaymentMethodID: rc.PaymentMethodID, Network: rc.Network}
	var since time.Time
	if rc.PaymentMethodUpdatedAt != nil {
		since = *rc.PaymentMethodUpdatedAt
	}
	h.Attempts = buf
	for _, a := range rc.Attempts {
		if !since.IsZero() && !a.OccurredAt.After(since) {
			continue
		}
		h.Attempts = append(h.Attempts, domain.CardAttemptOf(a))
	}
	for _, t := range rc.CardAttempts {
		if ownAttempt(rc.Attempts, t) || (!since.IsZero() && !t.After(since)) {
			continue
		}
		// Another invoice's attempt on the card: it counts toward the
		// caps; its codes are not in the context.
		h.Attempts = append(h.Attempts, domain.CardAttempt{At: t, Declined: true})
	}
	slices.SortStableFunc(h.Attempts, func(a, b domain.CardAttempt) int { return a.At.Compare(b.At) })
	return h
}

// ownAttempt reports whether t is the time of one of the invoice's own
// attempts (a context lists few, so a scan beats building a set).
func ownAttempt(own []domain.PaymentAttempted, t time.Time) bool {
	n := t.UnixNano()
	for _, a := range own {
		if a.OccurredAt.UnixNano() == n {
			return true
		}
	}
	return false
}
