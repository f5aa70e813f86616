package domain

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// modelAllowed is an independent, naive reading of NetworkRules: it
// walks the table row by row for every attempt, with none of
// EarliestRetry's precomputation.
func modelAllowed(card CardHistory, t time.Time) bool {
	for _, r := range NetworkRules {
		if r.Network != "" && card.Network != "" && r.Network != card.Network {
			continue
		}
		n := 0
		for _, a := range card.Attempts {
			if !a.Declined {
				continue
			}
			switch {
			case r.Match == MatchVisaCategory1:
				if VisaCategoryOf(NetworkCodeOf(a.DeclineCode, a.NetworkCode)) == 1 {
					return false
				}
			case r.Match == MatchHardDecline:
				d, ok := Decline(a.DeclineCode)
				if ok && !d.Retryable && !(d.Category == CategoryCardData && a.At.Before(card.DataUpdatedAt)) {
					return false
				}
			case r.Match == MatchAdviceCode && slices.Contains(r.Codes, a.AdviceCode):
				if r.Kind == RuleNever || t.Before(a.At.Add(r.Wait)) {
					return false
				}
			case r.Kind == RuleCap:
				if a.At.After(t.Add(-r.Window)) && !a.At.After(t) {
					n++
				}
			}
		}
		if r.Kind == RuleCap && n >= r.Max {
			return false
		}
	}
	return true
}

func randomCard(rng *rand.Rand, now time.Time) CardHistory {
	networks := []Network{Visa, Mastercard, Amex, ""}
	codes := append(DeclineCodes(), "", "", "", "unknown_code")
	netCodes := []string{"", "", "", "05", "51", "43", "R0", "54", "91", "zz"}
	advice := []string{"", "", "", "", "", "", "01", "02", "03", "21", "24", "25", "26", "27", "28", "29", "30", "99", "x"}
	card := CardHistory{PaymentMethodID: "pm", Network: networks[rng.IntN(len(networks))]}
	n := rng.IntN(45)
	rare := rng.IntN(4) == 0 // most histories avoid never-rules, so waits and caps get exercised
	span := 35 * day
	switch rng.IntN(8) {
	case 0, 1:
		span = day // bursts reach the daily cap
	case 2:
		span, n = 2*time.Hour, 1+rng.IntN(3) // a fresh decline: short waits bind
	}
	for range n {
		a := CardAttempt{At: now.Add(-time.Duration(rng.Int64N(int64(span)))), Declined: rng.IntN(10) < 8}
		if a.Declined {
			a.DeclineCode = codes[rng.IntN(len(codes))]
			a.NetworkCode = netCodes[rng.IntN(len(netCodes))]
			a.AdviceCode = advice[rng.IntN(len(advice))]
			if !rare {
				a.DeclineCode, a.NetworkCode = "insufficient_funds", "51"
				if a.AdviceCode == "03" || a.AdviceCode == "21" {
					a.AdviceCode = ""
				}
			}
		}
		if rng.IntN(2) == 0 {
			card.Add(a)
		} else {
			card.Attempts = append(card.Attempts, a) // literal, codes not cached
			slices.SortStableFunc(card.Attempts, func(x, y CardAttempt) int { return x.At.Compare(y.At) })
		}
	}
	if rng.IntN(5) == 0 {
		card.DataUpdatedAt = now.Add(-time.Duration(rng.Int64N(int64(10 * day))))
	}
	return card
}

// TestNetworkRulesAgainstModel compares EarliestRetry with the naive
// model on random histories: the verdict at the candidate agrees, the
// earliest time it names is allowed, and every time before it is not.
// RECOUP_RULES_CASES runs more cases.
func TestNetworkRulesAgainstModel(t *testing.T) {
	cases := 3000
	if s := os.Getenv("RECOUP_RULES_CASES"); s != "" {
		cases, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]int{}
	defer func() {
		// Every rule must have bound some case, or the generator is too tame.
		for _, r := range NetworkRules {
			if seen[r.ID] == 0 && !t.Failed() {
				t.Errorf("no random case exercised %s", r.ID)
			}
		}
	}()
	for i := range cases {
		now := t0.Add(time.Duration(i) * time.Minute)
		card := randomCard(rng, now)
		ok, earliest, rule := RetryAllowed(card, now)
		seen[rule]++
		if want := modelAllowed(card, now); ok != want {
			t.Fatalf("case %d: RetryAllowed = %v (%s), model says %v\n%+v", i, ok, rule, want, card)
		}
		if ok || earliest.IsZero() {
			if !ok && rule == "" {
				t.Fatalf("case %d: never without a rule", i)
			}
			continue
		}
		if !modelAllowed(card, earliest) {
			t.Fatalf("case %d: earliest %v (%s) is refused by the model", i, earliest, rule)
		}
		for range 5 {
			probe := now.Add(time.Duration(rng.Int64N(int64(earliest.Sub(now)))))
			if modelAllowed(card, probe) {
				t.Fatalf("case %d: %v is allowed before the earliest %v (%s)", i, probe, earliest, rule)
			}
		}
		if modelAllowed(card, earliest.Add(-time.Nanosecond)) {
			t.Fatalf("case %d: a nanosecond before earliest %v is allowed", i, earliest)
		}
	}
}
