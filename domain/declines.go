package domain

import "sort"

// DeclineCategory groups decline codes by what a retry can do about them.
type DeclineCategory string

const (
	// CategoryFunds: the account lacks money now; it may have it later.
	CategoryFunds DeclineCategory = "insufficient_funds"
	// CategorySoft: a generic or temporary issuer refusal; retry later.
	CategorySoft DeclineCategory = "soft"
	// CategoryTechnical: a processing or availability error; retry soon.
	CategoryTechnical DeclineCategory = "technical"
	// CategoryCardData: the card's data is wrong or out of date; only new
	// card data (updater or customer) can succeed.
	CategoryCardData DeclineCategory = "card_data"
	// CategoryHard: the issuer will never approve on this card.
	CategoryHard DeclineCategory = "hard"
)

// DeclineInfo describes a processor decline code.
type DeclineInfo struct {
	Code     string
	Category DeclineCategory
	// NetworkCode is the usual ISO 8583 response code behind it.
	NetworkCode string
	// Retryable is false when a retry on the same card must not happen.
	Retryable bool
}

// declineTable is the one place where decline codes map to categories.
// Codes follow Stripe's decline code names; network codes follow ISO 8583
// as Visa and Mastercard use them.
var declineTable = map[string]DeclineInfo{
	"insufficient_funds":               {"insufficient_funds", CategoryFunds, "51", true},
	"withdrawal_count_limit_exceeded":  {"withdrawal_count_limit_exceeded", CategoryFunds, "65", true},
	"card_velocity_exceeded":           {"card_velocity_exceeded", CategoryFunds, "61", true},
	"do_not_honor":                     {"do_not_honor", CategorySoft, "05", true},
	"generic_decline":                  {"generic_decline", CategorySoft, "05", true},
	"try_again_later":                  {"try_again_later", CategorySoft, "19", true},
	"call_issuer":                      {"call_issuer", CategorySoft, "01", true},
	"suspected_fraud":                  {"suspected_fraud", CategorySoft, "59", true},
	"restricted_card":                  {"restricted_card", CategorySoft, "62", true},
	"processing_error":                 {"processing_error", CategoryTechnical, "96", true},
	"issuer_not_available":             {"issuer_not_available", CategoryTechnical, "91", true},
	"reenter_transaction":              {"reenter_transaction", CategoryTechnical, "19", true},
	"expired_card":                     {"expired_card", CategoryCardData, "54", false},
	"incorrect_cvc":                    {"incorrect_cvc", CategoryCardData, "N7", false},
	"incorrect_number":                 {"incorrect_number", CategoryHard, "14", false},
	"invalid_account":                  {"invalid_account", CategoryHard, "14", false},
	"no_such_issuer":                   {"no_such_issuer", CategoryHard, "15", false},
	"pickup_card":                      {"pickup_card", CategoryHard, "04", false},
	"lost_card":                        {"lost_card", CategoryHard, "41", false},
	"stolen_card":                      {"stolen_card", CategoryHard, "43", false},
	"fraudulent":                       {"fraudulent", CategoryHard, "07", false},
	"transaction_not_allowed":          {"transaction_not_allowed", CategoryHard, "57", false},
	"invalid_transaction":              {"invalid_transaction", CategoryHard, "12", false},
	"stop_payment_order":               {"stop_payment_order", CategoryHard, "R0", false},
	"revocation_of_authorization":      {"revocation_of_authorization", CategoryHard, "R1", false},
	"revocation_of_all_authorizations": {"revocation_of_all_authorizations", CategoryHard, "R3", false},
}

// Decline returns what is known of a decline code; ok is false for a code
// not in the table.
func Decline(code string) (DeclineInfo, bool) {
	d, ok := declineTable[code]
	return d, ok
}

// DeclineCodes lists every known decline code.
func DeclineCodes() []string {
	out := make([]string, 0, len(declineTable))
	for c := range declineTable {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// VisaCategory is Visa's decline-response category: 1 the issuer will
// never approve, 2 the issuer cannot approve now (try later), 3 the data
// is wrong (fix it first), 4 generic. Only category 1 forbids retries on
// the same card; 2–4 count toward the reattempt cap.
type VisaCategory int

// visaCategories maps ISO 8583 response codes to Visa categories; every
// code not listed is category 4. Source: Visa's decline categories as
// summarised by payway.com and developers.tabapay.com (see facts.md).
// Processor lists differ: some put 03, 62, 78 and 93 in category 1. We
// follow the published category 1 list exactly, so 62 (restricted card)
// stays category 2 here, and 03/78/93 are category 4.
var visaCategories = map[string]VisaCategory{
	// Category 1: issuer will never approve.
	"04": 1, "07": 1, "12": 1, "14": 1, "15": 1, "41": 1, "43": 1,
	"46": 1, "57": 1, "R0": 1, "R1": 1, "R3": 1,
	// Category 2: issuer cannot approve at this time.
	"19": 2, "51": 2, "59": 2, "61": 2, "62": 2, "65": 2, "91": 2, "96": 2,
	// Category 3: data quality; fix the data before retrying.
	"54": 3, "55": 3, "N7": 3, "1A": 3,
}

// visaCategory1 is VisaCategoryOf(code) == 1 without hashing, for the
// network rules' inner loop; TestVisaCategoryOf keeps the two in step.
func visaCategory1(code string) bool {
	switch code {
	case "04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3":
		return true
	}
	return false
}

// VisaCategoryOf returns the Visa category of an ISO 8583 response code;
// an empty or unknown code is category 4 (generic).
func VisaCategoryOf(networkCode string) VisaCategory {
	if c, ok := visaCategories[networkCode]; ok {
		return c
	}
	return 4
}

// NetworkCodeOf returns the network response code of an attempt: the one
// reported, else the usual code behind the processor decline code.
func NetworkCodeOf(declineCode, networkCode string) string {
	if networkCode != "" {
		return networkCode
	}
	return declineTable[declineCode].NetworkCode
}

// VisaCategory returns the Visa category of the decline's network code.
func (d DeclineInfo) VisaCategory() VisaCategory { return VisaCategoryOf(d.NetworkCode) }
