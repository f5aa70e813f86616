package simulator

import (
	"time"

	"github.com/recoupledger/recoup/domain"
)

// The simulator enforces the card-network rules through domain's one
// table (domain.NetworkRules via domain.EarliestRetry): policies plan
// with it and replays check every attempt with it, counting violations.

// adviceWaitHours is the minimum wait (hours) a decline with this
// Mastercard advice code imposes before the next attempt, from domain's
// rule table; 0 if none.
func adviceWaitHours(n domain.Network, code string) int {
	if code == "" {
		return 0
	}
	for _, r := range domain.NetworkRules {
		if r.Kind != domain.RuleMinWait || r.Match != domain.MatchAdviceCode || (r.Network != "" && r.Network != n) {
			continue
		}
		for _, c := range r.Codes {
			if c == code {
				return int((r.Wait + time.Hour - 1) / time.Hour)
			}
		}
	}
	return 0
}

// cardAttempt is a failed attempt as the network rules see it.
func cardAttempt(inv *Invoice, a Attempt) domain.CardAttempt {
	return domain.CardAttempt{At: inv.SlotTime(a.Slot), Declined: true, DeclineCode: a.DeclineCode, NetworkCode: a.NetworkCode, AdviceCode: a.AdviceCode}
}
