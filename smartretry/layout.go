package smartretry

import (
	"github.com/recoupledger/recoup/domain"
)

// The feature vector has three blocks:
//
//	static  facts of the Case at decision time (decline code, card, amount,
//	        activity, updates, reminders): fixed for every candidate time;
//	time    facts of the candidate time t (attempt number, time since the
//	        first failure and the last attempt, local hour and weekday,
//	        payday anchors);
//	cross   selected time features multiplied by group indicators (decline
//	        category and funding), so that a linear model can say "a
//	        crossed payday matters for insufficient funds" or "midnight
//	        matters for debit".
//
// Serving folds the static block and the group indicators into a
// per-Case constant and per-time-feature coefficients (see prepared.go);
// training materialises every column. Both come from the same functions.

// Time feature indices within the time block.
const (
	tLogAttempt  = iota // log(attempt number of the candidate attempt)
	tFirstRetry         // the candidate is the first retry
	tHLast              // log1p(hours since the last attempt)/4
	tTwoFridays         // two Fridays or more since the last attempt (biweekly pay)
	tWithinDay          // less than 24 hours since the last attempt
	tPrevNight          // the last attempt was at local night [0, 6): it tested a fresh deposit
	tPrevDay            // the last attempt was at local midday [9, 15): it tested a cured hold
	tCrossedLast        // numAnchors columns: an anchor's midnight since the last attempt
)

const (
	tHFirst  = tCrossedLast + numAnchors + iota // log1p(hours since the first failure)/4
	tDFirst                                     // days since the first failure / 7
	tCure6                                      // exp(-hours since the first failure / 6): fast cures
	tCure36                                     // exp(-hours / 36): issuer holds of a day or two
	tCure120                                    // exp(-hours / 120): slow holds
	tSin1                                       // local hour, first and second harmonics
	tCos1
	tSin2
	tCos2
	tMidnight                           // local hour in [0, 3)
	tWeekday                            // 6 columns: Monday..Saturday (Sunday is the baseline)
	tSince        = tWeekday + 6        // numAnchors columns: exp(-days since the anchor / anchorDecay)
	tTo           = tSince + numAnchors // numAnchors columns: exp(-days to the next anchor / anchorDecay)
	tCrossedFirst = tTo + numAnchors    // numAnchors columns: an anchor's midnight since the first failure
	numTime       = tCrossedFirst + numAnchors
)

// The planner's folded path (fold.go, grid.fillLinear) sums the time
// features' log-odds in parts: attempt number, previous attempt (the
// pair features tHLast..tCrossedLast), time since the first failure,
// local hour, weekday and paydays. A new time feature must enter one of
// those parts; TestFoldedPlannerMatchesReference fails until it does.

// Groups that interact with time features.
const (
	gFunds = iota
	gSoft
	gTechnical
	gDebit
	numGroups
)

var groupNames = [numGroups]string{"funds", "soft", "technical", "debit"}

func span(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

func concat(parts ...[]int) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// crossings lists, per group, the time features multiplied by it. Funds
// shortfalls follow paydays (and a generic decline often hides one, so
// soft declines get the payday terms too); technical errors follow the
// clock since the failure; debit cards add the local-midnight and payday
// terms.
var crossings = [numGroups][]int{
	gFunds:     concat([]int{tHLast, tTwoFridays, tWithinDay, tPrevNight, tPrevDay, tHFirst, tCure36, tMidnight, tSin1, tCos1}, span(tCrossedLast, numAnchors), span(tSince, numAnchors)),
	gSoft:      concat([]int{tHLast, tTwoFridays, tWithinDay, tPrevNight, tPrevDay, tHFirst, tDFirst, tCure6, tCure36, tCure120, tMidnight, tSin1, tCos1, tSin2, tCos2}, span(tCrossedLast, numAnchors), span(tSince, numAnchors)),
	gTechnical: {tHLast, tWithinDay, tHFirst, tDFirst, tCure6, tCure36, tSin1, tCos1},
	gDebit:     concat([]int{tHLast, tTwoFridays, tWithinDay, tPrevNight, tPrevDay, tHFirst, tCure6, tCure36, tCure120, tMidnight, tSin1, tCos1, tSin2, tCos2}, span(tCrossedLast, numAnchors), span(tSince, numAnchors)),
}

// Static vocabularies. Changing any of them changes the feature names,
// which the model file records, so an old model refuses to load against
// a new layout instead of silently misreading columns.
var (
	categories = []domain.DeclineCategory{domain.CategoryFunds, domain.CategorySoft, domain.CategoryTechnical, domain.CategoryCardData, domain.CategoryHard}
	adviceKeys = []string{"none", "01", "02", "wait", "other"}
	networks   = []domain.Network{domain.Visa, domain.Mastercard, domain.Amex, domain.Discover}
	fundings   = []domain.Funding{domain.Credit, domain.Debit, domain.Prepaid}
	countries  = []string{"US", "GB", "CA", "AU", "DE", "FR", "BR", "IN", "JP"}
)

// layout is the feature vector's shape, computed once.
type layout struct {
	names     []string
	codeIndex map[string]int // decline code -> static column
	static    int            // number of static columns (start of time block)
	// columns of the static block
	sCodeOther, sCat, sCatUnknown, sAdvice, sNet, sNetOther, sFund, sFundUnknown    int
	sCountry, sCountryOther, sCrossBorder, sLogAmount, sCatChanged                  int
	sAct24, sAct7d, sActSince, sActRecent, sPMSince, sPMHours, sPMNever, sReminders int
	sEarly                                                                          int
	sActSinceFunds, sActSinceSoft, sAct24Funds, sAct24Soft, sPMSinceFix             int
	sActRecentFunds, sActRecentSoft                                                 int
	timeStart, crossStart, width                                                    int
}

var lay = buildLayout()

func buildLayout() *layout {
	l := &layout{codeIndex: map[string]int{}}
	add := func(name string) int { l.names = append(l.names, name); return len(l.names) - 1 }
	add("bias")
	for _, code := range domain.DeclineCodes() {
		if d, _ := domain.Decline(code); d.Retryable {
			l.codeIndex[code] = add("code:" + code)
		}
	}
	l.sCodeOther = add("code:other")
	l.sCat = len(l.names)
	for _, c := range categories {
		add("category:" + string(c))
	}
	l.sCatUnknown = add("category:unknown")
	l.sAdvice = len(l.names)
	for _, a := range adviceKeys {
		add("advice:" + a)
	}
	l.sNet = len(l.names)
	for _, n := range networks {
		add("network:" + string(n))
	}
	l.sNetOther = add("network:other")
	l.sFund = len(l.names)
	for _, f := range fundings {
		add("funding:" + string(f))
	}
	l.sFundUnknown = add("funding:unknown")
	l.sCountry = len(l.names)
	for _, c := range countries {
		add("country:" + c)
	}
	l.sCountryOther = add("country:other")
	l.sCrossBorder = add("cross_border")
	l.sLogAmount = add("log_amount")
	l.sCatChanged = add("category_changed")
	l.sAct24 = add("activity_24h")
	l.sAct7d = add("activity_7d")
	l.sActSince = add("activity_since_failure")
	l.sActRecent = add("activity_recency")
	l.sPMSince = add("pm_updated_since_failure")
	l.sPMHours = add("pm_update_age")
	l.sPMNever = add("pm_never_updated")
	l.sReminders = add("reminders_beyond_failures")
	l.sEarly = add("early_retries_failed")
	l.sActSinceFunds = add("activity_since_failure*funds")
	l.sActSinceSoft = add("activity_since_failure*soft")
	l.sAct24Funds = add("activity_24h*funds")
	l.sAct24Soft = add("activity_24h*soft")
	l.sPMSinceFix = add("pm_updated_since_failure*card_fix")
	l.sActRecentFunds = add("activity_recency*funds")
	l.sActRecentSoft = add("activity_recency*soft")
	l.static = len(l.names)

	l.timeStart = len(l.names)
	for _, n := range timeNames() {
		add(n)
	}
	l.crossStart = len(l.names)
	for g := 0; g < numGroups; g++ {
		for _, k := range crossings[g] {
			add(l.names[l.timeStart+k] + "*" + groupNames[g])
		}
	}
	l.width = len(l.names)
	return l
}

func timeNames() []string {
	n := make([]string, numTime)
	n[tLogAttempt] = "log_attempt"
	n[tFirstRetry] = "first_retry"
	n[tHLast] = "hours_since_last_attempt"
	n[tTwoFridays] = "two_fridays_since_last_attempt"
	n[tWithinDay] = "within_24h_of_last_attempt"
	n[tPrevNight], n[tPrevDay] = "last_attempt_at_night", "last_attempt_at_midday"
	n[tCure6], n[tCure36], n[tCure120] = "fresh_failure_6h", "fresh_failure_36h", "fresh_failure_120h"
	n[tHFirst] = "hours_since_first_failure"
	n[tDFirst] = "weeks_since_first_failure"
	n[tSin1], n[tCos1], n[tSin2], n[tCos2] = "hour_sin", "hour_cos", "hour_sin2", "hour_cos2"
	n[tMidnight] = "local_night"
	for i, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat"} {
		n[tWeekday+i] = "weekday:" + d
	}
	for a := 0; a < numAnchors; a++ {
		n[tCrossedLast+a] = "payday_since_last_attempt:" + anchorNames[a]
		n[tSince+a] = "days_since:" + anchorNames[a]
		n[tTo+a] = "days_to:" + anchorNames[a]
		n[tCrossedFirst+a] = "payday_since_first_failure:" + anchorNames[a]
	}
	return n
}

// FeatureNames returns the names of the feature vector's columns.
func FeatureNames() []string { return append([]string(nil), lay.names...) }
