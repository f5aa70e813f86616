package smartretry

import (
	"math"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Activity windows for the card-activity features.
const (
	activityShort = 24 * time.Hour
	activityLong  = 7 * 24 * time.Hour
	anchorDecay   = 2.0 // days; scale of the payday proximity features
)

// staticPart holds a Case's static block and group indicators.
type staticPart struct {
	x      []float64 // static block, len lay.static
	groups [numGroups]float64
	first  civil // first failure, local
	last   civil // last attempt, local
	firstT time.Time
	lastT  time.Time
}

func categoryOf(code string) (domain.DeclineCategory, bool) {
	d, ok := domain.Decline(code)
	return d.Category, ok
}

func adviceKey(code string) string {
	switch code {
	case "":
		return "none"
	case "01", "02":
		return code
	case "24", "25", "26", "27", "28", "29", "30":
		return "wait"
	}
	return "other"
}

func indexOf[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// gapFeatures sets the features of the time since the previous attempt.
func gapFeatures(x *[numTime]float64, d time.Duration) {
	x[tHLast] = gapFeature(d)
	x[tWithinDay] = 0
	if d < 24*time.Hour {
		x[tWithinDay] = 1
	}
}

// gapFeature scales log1p(hours) to about unit size, which keeps L-BFGS
// well conditioned.
func gapFeature(d time.Duration) float64 { return logHours(d) / 4 }

func logHours(d time.Duration) float64 {
	h := d.Hours()
	if h < 0 {
		h = 0
	}
	return math.Log1p(h)
}

// computeStatic fills the static block of c.
func computeStatic(c *Case) staticPart { return computeStaticInto(c, nil) }

// computeStaticInto is computeStatic reusing buf's storage for the block.
func computeStaticInto(c *Case, buf []float64) staticPart {
	l := lay
	s := staticPart{x: grow(buf, l.static)}
	x := s.x
	last, first := c.last(), c.first()
	s.firstT, s.lastT = first.At, last.At
	s.first, s.last = toCivil(first.At, c.Loc), toCivil(last.At, c.Loc)
	x[0] = 1
	if i, ok := l.codeIndex[last.DeclineCode]; ok {
		x[i] = 1
	} else {
		x[l.sCodeOther] = 1
	}
	cat, known := categoryOf(last.DeclineCode)
	if i := indexOf(categories, cat); known && i >= 0 {
		x[l.sCat+i] = 1
	} else {
		x[l.sCatUnknown] = 1
	}
	x[l.sAdvice+indexOf(adviceKeys, adviceKey(last.AdviceCode))] = 1
	if i := indexOf(networks, c.Network); i >= 0 {
		x[l.sNet+i] = 1
	} else {
		x[l.sNetOther] = 1
	}
	if i := indexOf(fundings, c.Funding); i >= 0 {
		x[l.sFund+i] = 1
	} else {
		x[l.sFundUnknown] = 1
	}
	if i := indexOf(countries, c.Country); i >= 0 {
		x[l.sCountry+i] = 1
	} else {
		x[l.sCountryOther] = 1
	}
	if c.CardCountry != "" && c.Country != "" && c.CardCountry != c.Country {
		x[l.sCrossBorder] = 1
	}
	x[l.sLogAmount] = math.Log1p(float64(max(c.Amount, 0))/100) / 5
	if fc, _ := categoryOf(first.DeclineCode); fc != cat {
		x[l.sCatChanged] = 1
	}
	ref := c.Decision
	x[l.sAct24] = math.Log1p(float64(c.activityIn(ref.Add(-activityShort), ref)))
	x[l.sAct7d] = math.Log1p(float64(c.activityIn(ref.Add(-activityLong), ref)))
	x[l.sActSince] = math.Log1p(float64(c.activityIn(last.At, ref)))
	if k := c.activityIn(time.Time{}, ref); k > 0 {
		// the latest activity at or before the decision
		hi := len(c.Activity) - 1
		for hi >= 0 && c.Activity[hi].After(ref) {
			hi--
		}
		if hi >= 0 {
			x[l.sActRecent] = math.Exp(-math.Max(ref.Sub(c.Activity[hi]).Hours(), 0) / 24)
		}
	}
	switch {
	case c.PMUpdatedAt.IsZero():
		x[l.sPMNever] = 1
	default:
		if c.PMUpdatedAt.After(last.At) {
			x[l.sPMSince] = 1
		}
		x[l.sPMHours] = logHours(ref.Sub(c.PMUpdatedAt)) / 5
	}
	// Reminders beyond one per failed attempt: the engine emails after
	// every failure, so the plain count would duplicate the attempt number
	// (and a planned failure adds one of each).
	failed := 0
	for _, a := range c.Attempts {
		if !a.Succeeded {
			failed++
		}
	}
	x[l.sReminders] = math.Log1p(float64(max(c.Reminders-failed, 0)))
	x[l.sEarly] = math.Log1p(float64(len(c.Attempts) - c.counted()))

	if known {
		switch cat {
		case domain.CategoryFunds:
			s.groups[gFunds] = 1
		case domain.CategorySoft:
			s.groups[gSoft] = 1
		case domain.CategoryTechnical:
			s.groups[gTechnical] = 1
		}
	}
	if c.Funding == domain.Debit {
		s.groups[gDebit] = 1
	}
	x[l.sActSinceFunds] = x[l.sActSince] * s.groups[gFunds]
	x[l.sActSinceSoft] = x[l.sActSince] * s.groups[gSoft]
	x[l.sAct24Funds] = x[l.sAct24] * s.groups[gFunds]
	x[l.sAct24Soft] = x[l.sAct24] * s.groups[gSoft]
	x[l.sActRecentFunds] = x[l.sActRecent] * s.groups[gFunds]
	x[l.sActRecentSoft] = x[l.sActRecent] * s.groups[gSoft]
	if cat == domain.CategoryCardData || cat == domain.CategoryHard {
		x[l.sPMSinceFix] = x[l.sPMSince]
	}
	return s
}

// slotPart is the part of the time block that depends on the candidate
// time alone (given the Case): everything but the attempt number and the
// previous-attempt features.
type slotPart struct {
	civ    civil
	anchor [numAnchors]int // day number of the latest anchor on or before t
	x      [numTime]float64
}

// computeSlot computes the slot part at t. cache, if not nil, keeps the
// last day's anchors: on an hourly grid the day changes every 24 slots.
func computeSlot(s *staticPart, t time.Time, loc *time.Location, cache *dayAnchors) slotPart {
	return computeSlotAt(s, t, toCivil(t, loc), cache)
}

func computeSlotAt(s *staticPart, t time.Time, c civil, cache *dayAnchors) slotPart {
	var p slotPart
	p.civ = c
	x := &p.x
	sinceFirstFeatures(x, t.Sub(s.firstT))
	hourFeatures(x, c.hour)
	weekdayFeatures(x, c.wd)
	var an dayAnchors
	if cache != nil && cache.day == c.day && cache.last[0] != 0 {
		an = *cache
	} else {
		an = anchorsOf(c)
		if cache != nil {
			*cache = an
		}
	}
	hd := hourDecay(c.hour)
	for a := 0; a < numAnchors; a++ {
		la := an.last[a]
		p.anchor[a] = la
		x[tSince+a] = an.sinceDay[a] * hd
		x[tTo+a] = an.toDay[a] / hd
		if la > s.first.day {
			x[tCrossedFirst+a] = 1
		}
	}
	return p
}

// sinceFirstFeatures sets the features of the time d since the first
// failure.
func sinceFirstFeatures(x *[numTime]float64, d time.Duration) {
	x[tHFirst] = gapFeature(d)
	hf := math.Max(d.Hours(), 0)
	x[tDFirst] = hf / (24 * 7)
	x[tCure6], x[tCure36], x[tCure120] = math.Exp(-hf/6), math.Exp(-hf/36), math.Exp(-hf/120)
}

// hourFeatures sets the local-hour features.
func hourFeatures(x *[numTime]float64, hour float64) {
	ang := 2 * math.Pi * hour / 24
	x[tSin1], x[tCos1] = math.Sincos(ang)
	x[tSin2], x[tCos2] = math.Sincos(2 * ang)
	x[tMidnight] = 0
	if hour < 3 {
		x[tMidnight] = 1
	}
}

// weekdayFeatures sets the weekday columns (Sunday is the baseline).
func weekdayFeatures(x *[numTime]float64, wd int) {
	for d := 0; d < 6; d++ {
		x[tWeekday+d] = 0
	}
	if wd >= 1 && wd <= 6 {
		x[tWeekday+wd-1] = 1
	}
}

// hourDecay scales a day's payday proximity features by the hour of day.
func hourDecay(hour float64) float64 { return math.Exp(-hour / 24 / anchorDecay) }

// attemptFeatures sets the attempt-number features for attempt n, counted
// as Case.counted does.
func attemptFeatures(x *[numTime]float64, n int) {
	x[tLogAttempt] = math.Log(float64(max(n, 1)))
	x[tFirstRetry] = 0
	if n == 2 {
		x[tFirstRetry] = 1
	}
}

// prevFeatures describe when the previous attempt was made: a failure at
// local night says little about a hold that cures by day, and a failure at
// midday says little about pay that lands at night, so the next attempt's
// chance depends on which the last one tested.
func prevFeatures(x *[numTime]float64, prev civil) {
	x[tPrevNight], x[tPrevDay] = 0, 0
	if prev.hour < 6 {
		x[tPrevNight] = 1
	}
	if prev.hour >= 9 && prev.hour < 15 {
		x[tPrevDay] = 1
	}
}

// pairFeatures sets the previous-attempt features for a candidate whose
// previous attempt was at prevT (local wall clock prev).
func pairFeatures(x *[numTime]float64, p *slotPart, t, prevT time.Time, prev civil) {
	prevDay := prev.day
	gapFeatures(x, t.Sub(prevT))
	prevFeatures(x, prev)
	x[tTwoFridays] = 0
	if p.anchor[anchorFriday]-7 > prevDay {
		x[tTwoFridays] = 1
	}
	for a := 0; a < numAnchors; a++ {
		x[tCrossedLast+a] = 0
		if p.anchor[a] > prevDay {
			x[tCrossedLast+a] = 1
		}
	}
}

// Row writes the full feature vector of an attempt at t for Case c into
// dst (len FeatureNames()). The attempt's number is one more than the
// Case's attempts.
func Row(c *Case, t time.Time, dst []float64) {
	s := computeStatic(c)
	rowFrom(&s, c, t, dst)
}

func rowFrom(s *staticPart, c *Case, t time.Time, dst []float64) {
	l := lay
	copy(dst, s.x)
	p := computeSlot(s, t, c.Loc, nil)
	attemptFeatures(&p.x, c.counted()+1)
	pairFeatures(&p.x, &p, t, s.lastT, s.last)
	copy(dst[l.timeStart:], p.x[:])
	i := l.crossStart
	for g := 0; g < numGroups; g++ {
		for _, k := range crossings[g] {
			dst[i] = s.groups[g] * p.x[k]
			i++
		}
	}
}
