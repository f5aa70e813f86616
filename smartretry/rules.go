package smartretry

import (
	"sort"
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
	h := CardHistoryOf(rc)
	return domain.EarliestRetry(h, from)
}

// CardHistoryOf builds the network rules' view of the context's card.
func CardHistoryOf(rc *domain.RetryContext) domain.CardHistory {
	h := domain.CardHistory{PaymentMethodID: rc.PaymentMethodID, Network: rc.Network}
	var since time.Time
	if rc.PaymentMethodUpdatedAt != nil {
		since = *rc.PaymentMethodUpdatedAt
	}
	own := make(map[int64]bool, len(rc.Attempts))
	for _, a := range rc.Attempts {
		own[a.OccurredAt.UnixNano()] = true
		if !since.IsZero() && !a.OccurredAt.After(since) {
			continue
		}
		h.Attempts = append(h.Attempts, domain.CardAttemptOf(a))
	}
	for _, t := range rc.CardAttempts {
		if own[t.UnixNano()] || (!since.IsZero() && !t.After(since)) {
			continue
		}
		// Another invoice's attempt on the card: it counts toward the
		// caps; its codes are not in the context.
		h.Attempts = append(h.Attempts, domain.CardAttempt{At: t, Declined: true})
	}
	sort.Slice(h.Attempts, func(i, j int) bool { return h.Attempts[i].At.Before(h.Attempts[j].At) })
	return h
}
