package domain

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func declined(at time.Time, decline, network, advice string) CardAttempt {
	return CardAttempt{At: at, Declined: true, DeclineCode: decline, NetworkCode: network, AdviceCode: advice}
}

// declines returns n declined generic attempts every step, ending at end.
func declines(n int, end time.Time, step time.Duration) []CardAttempt {
	out := make([]CardAttempt, n)
	for i := range out {
		out[i] = declined(end.Add(-time.Duration(n-1-i)*step), "do_not_honor", "05", "")
	}
	return out
}

func TestNetworkRules(t *testing.T) {
	tests := []struct {
		name      string
		card      CardHistory
		candidate time.Time
		wantOK    bool
		earliest  time.Time // zero: never
		rule      string
	}{
		{"no_history_allowed", CardHistory{Network: Visa}, t0, true, t0, ""},
		{"success_does_not_block", CardHistory{Network: Visa, Attempts: []CardAttempt{{At: t0.Add(-time.Hour)}}}, t0, true, t0, ""},
		{"visa_category1_stolen_card_never", CardHistory{Network: Visa, Attempts: []CardAttempt{declined(t0.Add(-48*time.Hour), "stolen_card", "43", "")}}, t0, false, time.Time{}, RuleVisaCategory1},
		{"visa_category1_from_processor_code_when_network_code_missing", CardHistory{Network: Visa, Attempts: []CardAttempt{declined(t0.Add(-48*time.Hour), "pickup_card", "", "")}}, t0, false, time.Time{}, RuleVisaCategory1},
		{"visa_category1_R0_never", CardHistory{Network: Visa, Attempts: []CardAttempt{declined(t0.Add(-48*time.Hour), "", "R0", "")}}, t0, false, time.Time{}, RuleVisaCategory1},
		{"visa_category2_insufficient_funds_allowed", CardHistory{Network: Visa, Attempts: []CardAttempt{declined(t0.Add(-time.Hour), "insufficient_funds", "51", "")}}, t0, true, t0, ""},
		{"visa_category1_code_on_mastercard_is_processor_hard_decline", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0.Add(-time.Hour), "lost_card", "41", "")}}, t0, false, time.Time{}, RuleHardDecline},
		{"mastercard_advice03_never", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0.Add(-30*day), "do_not_honor", "05", "03")}}, t0, false, time.Time{}, RuleMastercardAdvice3},
		{"mastercard_advice21_never", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0.Add(-time.Hour), "do_not_honor", "05", "21")}}, t0, false, time.Time{}, RuleMastercardAdvice2},
		{"mastercard_advice24_waits_1h", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "try_again_later", "19", "24")}}, t0.Add(30 * time.Minute), false, t0.Add(time.Hour), "mastercard.advice24.wait_1h"},
		{"mastercard_advice24_allowed_after_1h", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "try_again_later", "19", "24")}}, t0.Add(time.Hour), true, t0.Add(time.Hour), ""},
		{"mastercard_advice25_waits_24h", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "25")}}, t0.Add(time.Hour), false, t0.Add(day), "mastercard.advice25.wait_24h"},
		{"mastercard_advice26_waits_2d", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "26")}}, t0.Add(day), false, t0.Add(2 * day), "mastercard.advice26.wait_2d"},
		{"mastercard_advice27_waits_4d", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "27")}}, t0.Add(day), false, t0.Add(4 * day), "mastercard.advice27.wait_4d"},
		{"mastercard_advice28_waits_6d", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "28")}}, t0.Add(day), false, t0.Add(6 * day), "mastercard.advice28.wait_6d"},
		{"mastercard_advice29_waits_8d", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "29")}}, t0.Add(day), false, t0.Add(8 * day), "mastercard.advice29.wait_8d"},
		{"mastercard_advice30_waits_10d", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "30")}}, t0.Add(day), false, t0.Add(10 * day), "mastercard.advice30.wait_10d"},
		{"mastercard_longest_of_two_waits_binds", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0.Add(-time.Hour), "do_not_honor", "05", "30"), declined(t0, "do_not_honor", "05", "24")}}, t0, false, t0.Add(10*day - time.Hour), "mastercard.advice30.wait_10d"},
		{"advice_codes_bind_only_mastercard", CardHistory{Network: Visa, Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "30")}}, t0.Add(time.Hour), true, t0.Add(time.Hour), ""},
		{"visa_cap_14_declines_in_30d_allowed", CardHistory{Network: Visa, Attempts: declines(14, t0, day)}, t0.Add(time.Hour), true, t0.Add(time.Hour), ""},
		{"visa_cap_15_declines_in_30d_waits_for_oldest_to_leave", CardHistory{Network: Visa, Attempts: declines(15, t0, day)}, t0.Add(time.Hour), false, t0.Add(-14 * day).Add(30 * day), RuleVisaCap30d},
		{"visa_cap_ignores_declines_older_than_30d", CardHistory{Network: Visa, Attempts: declines(15, t0.Add(-20*day), day)}, t0, true, t0, ""},
		{"mastercard_cap_10_per_24h", CardHistory{Network: Mastercard, Attempts: declines(10, t0, time.Hour)}, t0.Add(time.Minute), false, t0.Add(-9 * time.Hour).Add(day), RuleMastercardCap24h},
		{"mastercard_9_in_24h_allowed", CardHistory{Network: Mastercard, Attempts: declines(9, t0, time.Hour)}, t0.Add(time.Minute), true, t0.Add(time.Minute), ""},
		{"mastercard_cap_35_per_30d", CardHistory{Network: Mastercard, Attempts: declines(35, t0, 20*time.Hour)}, t0.Add(time.Hour), false, t0.Add(-34 * 20 * time.Hour).Add(30 * day), RuleMastercardCap30d},
		{"amex_has_no_caps", CardHistory{Network: Amex, Attempts: declines(40, t0, time.Hour)}, t0.Add(time.Minute), true, t0.Add(time.Minute), ""},
		{"processor_hard_decline_never_on_any_network", CardHistory{Network: Amex, Attempts: []CardAttempt{declined(t0, "incorrect_number", "", "")}}, t0.Add(day), false, time.Time{}, RuleHardDecline},
		{"expired_card_blocked_until_new_data", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "expired_card", "54", "")}}, t0.Add(day), false, time.Time{}, RuleHardDecline},
		{"expired_card_eligible_after_data_update", CardHistory{Network: Mastercard, Attempts: []CardAttempt{declined(t0, "expired_card", "54", "")}, DataUpdatedAt: t0.Add(time.Hour)}, t0.Add(day), true, t0.Add(day), ""},
		{"data_update_does_not_lift_visa_category1", CardHistory{Network: Visa, Attempts: []CardAttempt{declined(t0, "stolen_card", "43", "")}, DataUpdatedAt: t0.Add(time.Hour)}, t0.Add(day), false, time.Time{}, RuleVisaCategory1},
		{"unknown_network_gets_every_rule", CardHistory{Attempts: []CardAttempt{declined(t0, "do_not_honor", "05", "21")}}, t0.Add(day), false, time.Time{}, RuleMastercardAdvice2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, earliest, rule := RetryAllowed(tt.card, tt.candidate)
			if ok != tt.wantOK || !earliest.Equal(tt.earliest) || rule != tt.rule {
				t.Fatalf("RetryAllowed = (%v, %v, %q), want (%v, %v, %q)", ok, earliest, rule, tt.wantOK, tt.earliest, tt.rule)
			}
			if ok {
				return
			}
			if tt.earliest.IsZero() {
				return
			}
			// The earliest time it names must itself be allowed.
			if ok2, _, rule2 := RetryAllowed(tt.card, earliest); !ok2 {
				t.Fatalf("earliest %v is refused by %s", earliest, rule2)
			}
			if ok3, _, _ := RetryAllowed(tt.card, earliest.Add(-time.Nanosecond)); ok3 {
				t.Fatalf("a nanosecond before earliest %v is allowed", earliest)
			}
		})
	}
}

func TestNetworkRulesTableHasSources(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range NetworkRules {
		if r.Source == "" || r.ID == "" {
			t.Errorf("rule %+v lacks an ID or a source", r)
		}
		if seen[r.ID] {
			t.Errorf("rule ID %s repeated", r.ID)
		}
		seen[r.ID] = true
	}
}

func TestVisaCategoryOf(t *testing.T) {
	for code, want := range map[string]VisaCategory{
		"04": 1, "07": 1, "12": 1, "14": 1, "15": 1, "41": 1, "43": 1, "46": 1, "57": 1, "R0": 1, "R1": 1, "R3": 1,
		"51": 2, "59": 2, "61": 2, "65": 2, "91": 2, "96": 2,
		"54": 3, "55": 3, "N7": 3, "1A": 3,
		"05": 4, "": 4, "zz": 4,
	} {
		if got := VisaCategoryOf(code); got != want {
			t.Errorf("VisaCategoryOf(%q) = %d, want %d", code, got, want)
		}
	}
	for code, c := range visaCategories {
		if visaCategory1(code) != (c == 1) {
			t.Errorf("visaCategory1(%q) disagrees with the table", code)
		}
	}
	// Every processor code maps through its network code.
	for _, c := range DeclineCodes() {
		d, _ := Decline(c)
		if !d.Retryable && d.Category == CategoryHard && d.VisaCategory() != 1 {
			t.Errorf("hard decline %s maps to network code %s outside Visa category 1", c, d.NetworkCode)
		}
	}
}

func TestCardHistoryObserve(t *testing.T) {
	h := CardHistory{PaymentMethodID: "pm_1"}
	h.Observe(PaymentMethodAttached{PaymentMethodID: "pm_1", Network: Visa})
	h.Observe(PaymentAttempted{Base: Base{OccurredAt: t0}, PaymentMethodID: "pm_1", Outcome: Failed, DeclineCode: "stolen_card", NetworkDeclineCode: "43"})
	h.Observe(PaymentAttempted{Base: Base{OccurredAt: t0}, PaymentMethodID: "pm_other", Outcome: Failed, DeclineCode: "do_not_honor"})
	if ok, _, rule := RetryAllowed(h, t0.Add(day)); ok || rule != RuleVisaCategory1 {
		t.Fatalf("after a stolen-card decline: ok=%v rule=%q", ok, rule)
	}
	h.Observe(PaymentMethodUpdated{Base: Base{OccurredAt: t0.Add(time.Hour)}, PaymentMethodID: "pm_1", ExpYear: 2030})
	if ok, _, _ := RetryAllowed(h, t0.Add(day)); ok {
		t.Fatal("a new expiry lifted a Visa category 1 block")
	}
	h.Observe(PaymentMethodUpdated{Base: Base{OccurredAt: t0.Add(2 * time.Hour)}, PaymentMethodID: "pm_1", NewNumber: true})
	if ok, _, rule := RetryAllowed(h, t0.Add(day)); !ok {
		t.Fatalf("a new card number did not restart eligibility: %s", rule)
	}
}

func TestCardHistoryTrimKeepsBlocks(t *testing.T) {
	h := CardHistory{Network: Visa}
	h.Add(declined(t0.Add(-100*day), "stolen_card", "43", ""))
	for _, a := range declines(20, t0.Add(-40*day), time.Hour) {
		h.Add(a)
	}
	h.Add(declined(t0.Add(-time.Hour), "insufficient_funds", "51", ""))
	h.Trim(t0)
	if len(h.Attempts) != 2 {
		t.Fatalf("kept %d attempts, want the block and the recent decline", len(h.Attempts))
	}
	if _, _, rule := RetryAllowed(h, t0); rule != RuleVisaCategory1 {
		t.Fatalf("trim lost the category 1 block: %q", rule)
	}
}

func BenchmarkEarliestRetry(b *testing.B) {
	card := CardHistory{Network: Mastercard}
	for i, a := range declines(8, t0, 30*time.Hour) {
		if i == 3 {
			a.AdviceCode = "25"
		}
		card.Add(a) // as the engine and simulator build histories
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		EarliestRetry(card, t0.Add(time.Duration(i%48)*time.Hour))
	}
}
