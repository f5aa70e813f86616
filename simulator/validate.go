package simulator

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// The names a world file may use.
var (
	Fundings = []string{"credit", "debit", "prepaid"}
	Networks = []string{"visa", "mastercard", "amex", "discover"}
	// Reasons are the observed decline reasons of Recurly's table.
	Reasons = []string{"generic", "temporary_hold", "insufficient_funds", "fraud_stolen", "invalid_number", "invalid_transaction", "other"}
	// CauseNames are the hidden causes.
	CauseNames = []string{"funds", "hold", "technical", "hard", "card_data"}
	// AdviceCodeNames are the Mastercard merchant advice codes a world may
	// emit ("" is none).
	AdviceCodeNames = []string{"", "01", "02", "03", "04", "21", "24", "25", "26", "27", "28", "29", "30"}
)

const shareTolerance = 1e-6

var (
	countryRe  = regexp.MustCompile(`^[A-Z]{2}$`)
	currencyRe = regexp.MustCompile(`^[a-z]{3}$`)
	dateLayout = "2006-01-02"
)

type validator struct{ probs []Problem }

func (v *validator) add(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{path, fmt.Sprintf(format, args...)})
}

func (v *validator) prob(path string, x float64) {
	if !(x >= 0 && x <= 1) {
		v.add(path, "must be a probability in [0, 1], got %g", x)
	}
}

// dist checks a distribution over the allowed keys: known keys, shares in
// [0, 1], summing to 1.
func (v *validator) dist(path string, m map[string]float64, allowed []string) {
	if len(m) == 0 {
		v.add(path, "must list at least one share")
		return
	}
	sum := 0.0
	for _, k := range sortedKeys(m) {
		if !contains(allowed, k) {
			v.add(path+"."+keyPath(k), "unknown key %q; allowed: %q", k, allowed)
			continue
		}
		v.prob(path+"."+keyPath(k), m[k])
		sum += m[k]
	}
	if math.Abs(sum-1) > shareTolerance {
		v.add(path, "shares must sum to 1, got %.6g", sum)
	}
}

func keyPath(k string) string {
	if k == "" {
		return `""`
	}
	return k
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Validate returns every rule the world breaks; nil means valid.
func (w *World) Validate() []Problem {
	v := &validator{}
	if w.Schema != WorldSchemaVersion {
		v.add("$.schema", "version %d is not supported (this build reads %d)", w.Schema, WorldSchemaVersion)
	}
	if w.Name == "" {
		v.add("$.name", "is required")
	}
	if _, err := time.Parse(dateLayout, w.Start); err != nil {
		v.add("$.start", "must be a date YYYY-MM-DD, got %q", w.Start)
	}
	if w.SpanDays < 1 || w.SpanDays > 3660 {
		v.add("$.span_days", "must be between 1 and 3660, got %d", w.SpanDays)
	}
	w.validateCountries(v)
	v.dist("$.funding", w.Funding, Fundings)
	v.dist("$.networks", w.Networks, Networks)
	w.validatePlans(v)
	w.validateDeclines(v)
	w.validateCauses(v)
	w.validateFrailty(v)
	if w.Activity.LivePerDay <= 0 || w.Activity.LivePerDay > 200 {
		v.add("$.activity.live_per_day", "must be in (0, 200], got %g", w.Activity.LivePerDay)
	}
	if w.Activity.IdlePerDay < 0 || w.Activity.IdlePerDay >= w.Activity.LivePerDay {
		v.add("$.activity.idle_per_day", "must be ≥ 0 and below live_per_day (a live card shows more activity), got %g", w.Activity.IdlePerDay)
	}
	if w.Activity.PaydayBoost < 0 || w.Activity.PaydayBoost > 20 {
		v.add("$.activity.payday_boost", "must be in [0, 20], got %g", w.Activity.PaydayBoost)
	}
	if w.CustomerUpdate.PerDay < 0 || w.CustomerUpdate.PerDay > 1 {
		v.add("$.customer_update.per_day", "must be in [0, 1], got %g", w.CustomerUpdate.PerDay)
	}
	if w.CustomerUpdate.ReminderBoost < 0 || w.CustomerUpdate.ReminderBoost > 10 {
		v.add("$.customer_update.reminder_boost", "must be in [0, 10], got %g", w.CustomerUpdate.ReminderBoost)
	}
	return v.probs
}

func (w *World) validateCountries(v *validator) {
	if len(w.Countries) == 0 {
		v.add("$.countries", "must list at least one country")
		return
	}
	sum := 0.0
	seen := map[string]bool{}
	for i, c := range w.Countries {
		p := "$.countries[" + strconv.Itoa(i) + "]"
		if !countryRe.MatchString(c.Code) {
			v.add(p+".code", "must be an ISO 3166-1 alpha-2 code, got %q", c.Code)
		} else if seen[c.Code+" "+c.TimeZone] {
			v.add(p, "duplicate country and time zone %s %s", c.Code, c.TimeZone)
		}
		seen[c.Code+" "+c.TimeZone] = true
		if c.TimeZone == "" {
			v.add(p+".time_zone", "is required")
		} else if _, err := time.LoadLocation(c.TimeZone); err != nil {
			v.add(p+".time_zone", "unknown IANA time zone %q", c.TimeZone)
		}
		v.prob(p+".share", c.Share)
		sum += c.Share
		if len(c.Paydays) == 0 {
			v.add(p+".paydays", "must list at least one schedule")
		}
		ps := 0.0
		for j, d := range c.Paydays {
			q := p + ".paydays[" + strconv.Itoa(j) + "]"
			if _, ok := paydaySchedules[d.Schedule]; !ok {
				v.add(q+".schedule", "unknown schedule %q; allowed: %q", d.Schedule, PaydaySchedules())
			}
			v.prob(q+".share", d.Share)
			ps += d.Share
		}
		if len(c.Paydays) > 0 && math.Abs(ps-1) > shareTolerance {
			v.add(p+".paydays", "shares must sum to 1, got %.6g", ps)
		}
	}
	if math.Abs(sum-1) > shareTolerance {
		v.add("$.countries", "shares must sum to 1, got %.6g", sum)
	}
}

func (w *World) validatePlans(v *validator) {
	if len(w.Plans) == 0 {
		v.add("$.plans", "must list at least one plan")
		return
	}
	sum := 0.0
	for i, pl := range w.Plans {
		p := "$.plans[" + strconv.Itoa(i) + "]"
		if pl.Name == "" {
			v.add(p+".name", "is required")
		}
		if pl.Amount <= 0 {
			v.add(p+".amount", "must be > 0 minor units, got %d", pl.Amount)
		}
		if !currencyRe.MatchString(pl.Currency) {
			v.add(p+".currency", "must be a lower-case ISO 4217 code, got %q", pl.Currency)
		}
		if pl.Interval != string(domain.Month) && pl.Interval != string(domain.Year) {
			v.add(p+".interval", "must be month or year, got %q", pl.Interval)
		}
		if pl.IntervalCount < 1 || pl.IntervalCount > 12 {
			v.add(p+".interval_count", "must be between 1 and 12, got %d", pl.IntervalCount)
		}
		v.prob(p+".share", pl.Share)
		sum += pl.Share
	}
	if math.Abs(sum-1) > shareTolerance {
		v.add("$.plans", "shares must sum to 1, got %.6g", sum)
	}
}

func (w *World) validateDeclines(v *validator) {
	for _, f := range Fundings {
		p := "$.decline_rate." + f
		r, ok := w.DeclineRate[f]
		if !ok {
			v.add(p, "is required")
			continue
		}
		if !(r > 0 && r < 0.5) {
			v.add(p, "must be in (0, 0.5), got %g", r)
		}
	}
	for _, k := range sortedKeys(w.DeclineRate) {
		if !contains(Fundings, k) {
			v.add("$.decline_rate."+k, "unknown funding %q", k)
		}
	}
	v.distOfDists("$.decline_mix", w.DeclineMix, Fundings, Reasons)
	v.distOfDists("$.codes", w.Codes, Reasons, nil)
	for _, r := range sortedKeys(w.Codes) {
		for _, c := range sortedKeys(w.Codes[r]) {
			if _, ok := domain.Decline(c); !ok {
				v.add("$.codes."+r+"."+keyPath(c), "unknown decline code %q (not in domain's decline table)", c)
			}
		}
	}
	v.distOfDists("$.cause_given_reason", w.CauseGivenReason, Reasons, CauseNames)
	v.distOfDists("$.advice_codes", w.AdviceCodes, CauseNames, AdviceCodeNames)
}

// distOfDists checks a map of distributions: every outer key in outer
// present (and no other), each inner map a distribution over inner (any
// key when inner is nil).
func (v *validator) distOfDists(path string, m map[string]map[string]float64, outer, inner []string) {
	for _, k := range outer {
		d, ok := m[k]
		if !ok {
			v.add(path+"."+k, "is required")
			continue
		}
		allowed := inner
		if allowed == nil {
			allowed = sortedKeys(d)
		}
		v.dist(path+"."+k, d, allowed)
	}
	for _, k := range sortedKeys(m) {
		if !contains(outer, k) {
			v.add(path+"."+keyPath(k), "unknown key %q; allowed: %q", k, outer)
		}
	}
}

func (w *World) validateCauses(v *validator) {
	f := w.Causes.Funds
	v.prob("$.causes.funds.alive", f.Alive)
	v.prob("$.causes.funds.between_paydays", f.BetweenPaydays)
	v.prob("$.causes.funds.at_deposit", f.AtDeposit)
	if f.BetweenPaydays+f.AtDeposit > 1 {
		v.add("$.causes.funds", "between_paydays + at_deposit must be ≤ 1, got %g", f.BetweenPaydays+f.AtDeposit)
	}
	if !(f.DecayDays > 0 && f.DecayDays <= 60) {
		v.add("$.causes.funds.decay_days", "must be in (0, 60], got %g", f.DecayDays)
	}
	if f.DepositHour < 0 || f.DepositHour > 23 {
		v.add("$.causes.funds.deposit_local_hour", "must be an hour 0–23, got %d", f.DepositHour)
	}
	v.cure("$.causes.hold", w.Causes.Hold)
	v.cure("$.causes.technical", w.Causes.Technical)
	v.update("$.causes.hard", w.Causes.Hard)
	v.update("$.causes.card_data", w.Causes.CardData)
}

func (v *validator) cure(p string, c CureCause) {
	v.prob(p+".alive", c.Alive)
	for _, f := range Fundings {
		h, ok := c.HalfLifeHours[f]
		if !ok {
			v.add(p+".half_life_hours."+f, "is required")
			continue
		}
		if !(h > 0 && h <= 24*60) {
			v.add(p+".half_life_hours."+f, "must be in (0, 1440] hours, got %g", h)
		}
	}
	for _, k := range sortedKeys(c.HalfLifeHours) {
		if !contains(Fundings, k) {
			v.add(p+".half_life_hours."+k, "unknown funding %q", k)
		}
	}
	if c.GridHours < 1 || c.GridHours > 24 || 24%c.GridHours != 0 {
		v.add(p+".grid_hours", "must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24), got %d", c.GridHours)
	}
	v.prob(p+".approval", c.Approval)
	if c.LocalHourAmplitude < 0 || c.LocalHourAmplitude > 0.5 {
		v.add(p+".local_hour_amplitude", "must be in [0, 0.5], got %g", c.LocalHourAmplitude)
	}
	if c.Approval*(1+c.LocalHourAmplitude) > 1 {
		v.add(p+".approval", "approval × (1 + local_hour_amplitude) must be ≤ 1, got %g", c.Approval*(1+c.LocalHourAmplitude))
	}
	if c.PeakLocalHour < 0 || c.PeakLocalHour > 23 {
		v.add(p+".peak_local_hour", "must be an hour 0–23, got %d", c.PeakLocalHour)
	}
	if c.NoisePeriodHours < 1 || c.NoisePeriodHours > 24*14 {
		v.add(p+".noise_period_hours", "must be between 1 and 336, got %d", c.NoisePeriodHours)
	}
}

func (v *validator) update(p string, c UpdateCause) {
	v.prob(p+".alive", c.Alive)
	v.prob(p+".updater_share", c.UpdaterShare)
	if !(c.UpdaterMeanDays > 0 && c.UpdaterMeanDays <= 60) {
		v.add(p+".updater_mean_days", "must be in (0, 60], got %g", c.UpdaterMeanDays)
	}
	v.prob(p+".new_card_approval", c.NewCardApproval)
}

func (w *World) validateFrailty(v *validator) {
	if len(w.Frailty) == 0 {
		v.add("$.frailty", "must list at least one level")
		return
	}
	sum, mean := 0.0, 0.0
	for i, l := range w.Frailty {
		p := "$.frailty[" + strconv.Itoa(i) + "]"
		if !(l.Value > 0 && l.Value <= 10) {
			v.add(p+".value", "must be in (0, 10], got %g", l.Value)
		}
		v.prob(p+".share", l.Share)
		sum += l.Share
		mean += l.Share * l.Value
	}
	if math.Abs(sum-1) > shareTolerance {
		v.add("$.frailty", "shares must sum to 1, got %.6g", sum)
	} else if math.Abs(mean-1) > 1e-3 {
		v.add("$.frailty", "the mean value must be 1 (frailty scales rates around the world's averages), got %.4g", mean)
	}
	for _, f := range Fundings {
		if r, ok := w.DeclineRate[f]; ok {
			for i, l := range w.Frailty {
				if r*l.Value >= 1 {
					v.add("$.frailty["+strconv.Itoa(i)+"].value", "decline_rate.%s × value must be < 1, got %g", f, r*l.Value)
				}
			}
		}
	}
}
