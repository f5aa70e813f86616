package simulator

import (
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// RuleCheck reports whether a retry at `at` obeys the card-network rules,
// given what the ledger knows (ctx). Replays check every attempt with it
// and count violations.
type RuleCheck func(ctx *domain.RetryContext, at time.Time) error

// adviceWait is the minimum wait Mastercard merchant advice codes 24–30
// impose after a decline.
var adviceWait = map[string]int{"24": 1, "25": 24, "26": 48, "27": 96, "28": 144, "29": 192, "30": 240}

// CheckRules is the simulator's reading of the card-network rules; it is
// the RuleCheck replays use unless another is given.
// TODO(sim): delegate to domain's network-rule table once it lands, so the
// engine, optimizer and simulator share one implementation.
func CheckRules(ctx *domain.RetryContext, at time.Time) error {
	if len(ctx.Attempts) == 0 {
		return nil
	}
	last := ctx.Attempts[len(ctx.Attempts)-1]
	fresh := ctx.PaymentMethodUpdatedAt != nil && ctx.PaymentMethodUpdatedAt.After(last.OccurredAt)
	if !fresh {
		if info, ok := domain.Decline(last.DeclineCode); ok && !info.Retryable {
			return fmt.Errorf("decline code %s (network %s) must not be retried on the same card", last.DeclineCode, info.NetworkCode)
		}
		if ctx.Network == domain.Mastercard && (last.AdviceCode == "03" || last.AdviceCode == "21") {
			return fmt.Errorf("mastercard advice code %s forbids a retry on the same card", last.AdviceCode)
		}
	}
	if h, ok := adviceWait[last.AdviceCode]; ok && ctx.Network == domain.Mastercard {
		if at.Before(last.OccurredAt.Add(time.Duration(h) * time.Hour)) {
			return fmt.Errorf("mastercard advice code %s requires a %dh wait", last.AdviceCode, h)
		}
	}
	in := func(d time.Duration) int {
		n := 0
		for _, t := range ctx.CardAttempts {
			if at.Sub(t) < d && !t.After(at) {
				n++
			}
		}
		return n
	}
	switch ctx.Network {
	case domain.Visa:
		if in(30*24*time.Hour) >= 16 { // first attempt + 15 reattempts
			return fmt.Errorf("visa allows 15 reattempts in 30 days")
		}
	case domain.Mastercard:
		if in(24*time.Hour) >= 10 {
			return fmt.Errorf("mastercard allows 10 attempts in 24 hours")
		}
		if in(30*24*time.Hour) >= 35 {
			return fmt.Errorf("mastercard allows 35 attempts in 30 days")
		}
	}
	return nil
}
