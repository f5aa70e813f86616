package domain

import "time"

// RuleKind says how a network rule constrains reattempts on one card.
type RuleKind string

const (
	// RuleNever: after a matching decline, never retry this card (until
	// its number changes).
	RuleNever RuleKind = "never"
	// RuleMinWait: after a matching decline, wait at least Wait.
	RuleMinWait RuleKind = "min_wait"
	// RuleCap: at most Max declined attempts on the card in any trailing
	// Window.
	RuleCap RuleKind = "cap"
)

// RuleMatch says which field of a declined attempt a rule reads.
type RuleMatch string

const (
	MatchVisaCategory1 RuleMatch = "visa_category_1"      // ISO 8583 code in Visa category 1
	MatchAdviceCode    RuleMatch = "advice_code"          // Mastercard merchant advice code
	MatchHardDecline   RuleMatch = "processor_hard"       // processor code not retryable (declines.go)
	MatchAnyDecline    RuleMatch = "any_declined_attempt" // caps count every declined attempt
)

// NetworkRule is one row of the card-network retry rules.
type NetworkRule struct {
	ID      string    // stable name, reported as the binding rule
	Network Network   // the network it binds; "" binds every network
	Kind    RuleKind  //
	Match   RuleMatch //
	Codes   []string  // advice codes for MatchAdviceCode
	Wait    time.Duration
	Max     int
	Window  time.Duration
	Source  string
}

// Rule IDs.
const (
	RuleVisaCategory1     = "visa.category1.never"
	RuleMastercardAdvice3 = "mastercard.advice03.never"
	RuleMastercardAdvice2 = "mastercard.advice21.never"
	RuleHardDecline       = "processor.hard_decline.never"
	RuleVisaCap30d        = "visa.cap.15_per_30d"
	RuleMastercardCap24h  = "mastercard.cap.10_per_24h"
	RuleMastercardCap30d  = "mastercard.cap.35_per_30d"
)

const day = 24 * time.Hour

const (
	srcVisa       = "Visa decline categories and reattempt limits, via payway.com and developers.tabapay.com"
	srcMastercard = "Mastercard Merchant Advice Codes and excessive-attempt limits, via Braintree network updates 2023 and docs.everonet.com"
	srcStripe     = "Stripe does not retry hard declines on the same card: docs.stripe.com smart-retries"
)

// NetworkRules is the one table of card-network retry rules; the engine,
// the optimizer and the simulator all enforce it through EarliestRetry.
//
// Choices where sources disagree: the Visa cap is 15 reattempts in 30
// days (the 2025 limit of 20 with separate counters is unconfirmed in
// Visa's own text). Caps count every declined attempt in the window, the
// original decline included, which is stricter than "reattempts" by one
// and so never exceeds the networks' limits.
var NetworkRules = []NetworkRule{
	{ID: RuleVisaCategory1, Network: Visa, Kind: RuleNever, Match: MatchVisaCategory1, Source: srcVisa},
	{ID: RuleMastercardAdvice3, Network: Mastercard, Kind: RuleNever, Match: MatchAdviceCode, Codes: []string{"03"}, Source: srcMastercard},
	{ID: RuleMastercardAdvice2, Network: Mastercard, Kind: RuleNever, Match: MatchAdviceCode, Codes: []string{"21"}, Source: srcMastercard},
	{ID: "mastercard.advice24.wait_1h", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"24"}, Wait: time.Hour, Source: srcMastercard},
	{ID: "mastercard.advice25.wait_24h", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"25"}, Wait: day, Source: srcMastercard},
	{ID: "mastercard.advice26.wait_2d", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"26"}, Wait: 2 * day, Source: srcMastercard},
	{ID: "mastercard.advice27.wait_4d", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"27"}, Wait: 4 * day, Source: srcMastercard},
	{ID: "mastercard.advice28.wait_6d", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"28"}, Wait: 6 * day, Source: srcMastercard},
	{ID: "mastercard.advice29.wait_8d", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"29"}, Wait: 8 * day, Source: srcMastercard},
	{ID: "mastercard.advice30.wait_10d", Network: Mastercard, Kind: RuleMinWait, Match: MatchAdviceCode, Codes: []string{"30"}, Wait: 10 * day, Source: srcMastercard},
	{ID: RuleVisaCap30d, Network: Visa, Kind: RuleCap, Match: MatchAnyDecline, Max: 15, Window: 30 * day, Source: srcVisa},
	{ID: RuleMastercardCap24h, Network: Mastercard, Kind: RuleCap, Match: MatchAnyDecline, Max: 10, Window: day, Source: srcMastercard},
	{ID: RuleMastercardCap30d, Network: Mastercard, Kind: RuleCap, Match: MatchAnyDecline, Max: 35, Window: 30 * day, Source: srcMastercard},
	{ID: RuleHardDecline, Kind: RuleNever, Match: MatchHardDecline, Source: srcStripe},
}

// compiledRules is NetworkRules arranged for one card network so that a
// check is a few map lookups per attempt and no allocation.
type compiledRules struct {
	visaCategory1 *NetworkRule
	hardDecline   *NetworkRule
	advice        [100]*NetworkRule // never and min-wait rules by two-digit advice code
	caps          []*NetworkRule
}

// adviceRule returns the rule bound to a two-digit advice code, or nil.
func (c *compiledRules) adviceRule(code string) *NetworkRule {
	if len(code) != 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9' {
		return nil
	}
	return c.advice[int(code[0]-'0')*10+int(code[1]-'0')]
}

var rulesFor = compileRules(NetworkRules)

// compileRules builds per-network views; a card of unknown network gets
// every network's rules, the conservative reading.
func compileRules(table []NetworkRule) map[Network]*compiledRules {
	out := map[Network]*compiledRules{}
	for _, n := range []Network{Visa, Mastercard, Amex, Discover, ""} {
		c := &compiledRules{}
		for i := range table {
			r := &table[i]
			if r.Network != "" && n != "" && r.Network != n {
				continue
			}
			switch {
			case r.Match == MatchVisaCategory1:
				c.visaCategory1 = r
			case r.Match == MatchHardDecline:
				c.hardDecline = r
			case r.Match == MatchAdviceCode:
				for _, code := range r.Codes {
					if len(code) != 2 {
						panic("network rule " + r.ID + ": advice codes have two digits")
					}
					c.advice[int(code[0]-'0')*10+int(code[1]-'0')] = r
				}
			case r.Kind == RuleCap:
				c.caps = append(c.caps, r)
			}
		}
		out[n] = c
	}
	return out
}

var (
	visaRules       = rulesFor[Visa]
	mastercardRules = rulesFor[Mastercard]
	anyRules        = rulesFor[""]
)

func compiledFor(n Network) *compiledRules {
	switch n {
	case Visa:
		return visaRules
	case Mastercard:
		return mastercardRules
	}
	if c, ok := rulesFor[n]; ok {
		return c
	}
	return anyRules
}
