package smartretry

import (
	"sort"
	"sync"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Attempt is one recorded charge attempt of an invoice.
type Attempt struct {
	At          time.Time
	DeclineCode string
	AdviceCode  string
	Succeeded   bool
}

// Case is what the ledger knows about a failed invoice at the moment a
// retry is planned (Decision). Training rows and serving requests are both
// turned into a Case, and features are computed from a Case and a
// candidate time only, so the two paths cannot drift apart.
type Case struct {
	Amount      int64 // amount remaining, minor units
	Network     domain.Network
	Funding     domain.Funding
	CardCountry string
	Country     string // the customer's country
	Loc         *time.Location

	// Attempts are the invoice's attempts before Decision, oldest first;
	// the last one failed.
	Attempts []Attempt
	// PMUpdatedAt is the last credential update at or before Decision
	// (zero if none).
	PMUpdatedAt time.Time
	// Activity are the times devices presented the card, sorted; only
	// those at or before Decision are used.
	Activity  []time.Time
	Reminders int
	Decision  time.Time
}

// ProbeWindow is how soon after the first failure a retry is a probe: it
// tests little beyond a technical error (a hold has rarely cured, pay has
// rarely landed), so its failure is weak evidence that the invoice will
// not be recovered, and its worth is mostly the reminder that follows it.
const ProbeWindow = 12 * time.Hour

// counted is the number of attempts the attempt-number features count:
// every attempt but the retries within ProbeWindow of the first failure
// (their count is a feature of its own). The optimizer can then place
// probes without the model reading them as lost chances.
func (c *Case) counted() int {
	n := len(c.Attempts)
	for _, a := range c.Attempts[1:] {
		if a.At.Sub(c.Attempts[0].At) < ProbeWindow {
			n--
		}
	}
	return n
}

// first and last return the first failed and the last attempt.
func (c *Case) first() Attempt { return c.Attempts[0] }
func (c *Case) last() Attempt  { return c.Attempts[len(c.Attempts)-1] }

// activityIn counts activity in (to-d, to].
func (c *Case) activityIn(from, to time.Time) int {
	lo := sort.Search(len(c.Activity), func(i int) bool { return c.Activity[i].After(from) })
	hi := sort.Search(len(c.Activity), func(i int) bool { return c.Activity[i].After(to) })
	if hi < lo {
		return 0
	}
	return hi - lo
}

var locCache sync.Map // time zone name -> *time.Location

// location resolves an IANA time zone name, caching the result because
// loading zone data is slow; an empty or unknown name is UTC and reported
// by ok=false.
func location(name string) (loc *time.Location, ok bool) {
	if name == "" {
		return time.UTC, false
	}
	if v, hit := locCache.Load(name); hit {
		return v.(*time.Location), true
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC, false
	}
	locCache.Store(name, l)
	return l, true
}

// CaseFromContext builds the Case of a planning request. It fails when the
// context has no failed attempt to plan after.
func CaseFromContext(rc *domain.RetryContext) (Case, error) {
	return caseFromContext(rc, nil)
}

// caseFromContext is CaseFromContext with the Case's attempts appended to
// buf (the planner's pooled scratch).
func caseFromContext(rc *domain.RetryContext, buf []Attempt) (Case, error) {
	if len(rc.Attempts) == 0 {
		return Case{}, errNoAttempts
	}
	loc, _ := location(rc.CustomerTimeZone)
	c := Case{
		Amount:      rc.Amount,
		Network:     rc.Network,
		Funding:     rc.Funding,
		CardCountry: rc.CardCountry,
		Country:     rc.CustomerCountry,
		Loc:         loc,
		Reminders:   rc.RemindersSent,
		Decision:    rc.Now,
		Activity:    rc.CardActivity,
	}
	if rc.PaymentMethodUpdatedAt != nil && !rc.PaymentMethodUpdatedAt.After(rc.Now) {
		c.PMUpdatedAt = *rc.PaymentMethodUpdatedAt
	}
	c.Attempts = buf[:0]
	if cap(buf) < len(rc.Attempts) {
		c.Attempts = make([]Attempt, 0, len(rc.Attempts))
	}
	for _, a := range rc.Attempts {
		c.Attempts = append(c.Attempts, Attempt{At: a.OccurredAt, DeclineCode: a.DeclineCode, AdviceCode: a.AdviceCode, Succeeded: a.Outcome == domain.Succeeded})
		if c.Network == "" {
			c.Network = a.Network
		}
		if c.Funding == "" {
			c.Funding = a.Funding
		}
	}
	if !sort.SliceIsSorted(c.Activity, func(i, j int) bool { return c.Activity[i].Before(c.Activity[j]) }) {
		c.Activity = append([]time.Time(nil), c.Activity...)
		sortTimes(c.Activity)
	}
	return c, nil
}

func sortTimes(ts []time.Time) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
}

// Context is the planner's view of c: the inverse of CaseFromContext for
// what a Case holds, with a preset budget.
func (c *Case) Context(invoiceID string, preset domain.PresetSpec, retriesLeft int, windowEnd time.Time) domain.RetryContext {
	rc := domain.RetryContext{
		Now: c.Decision, InvoiceID: invoiceID, Amount: c.Amount,
		CustomerCountry: c.Country, CustomerTimeZone: c.Loc.String(),
		Network: c.Network, Funding: c.Funding, CardCountry: c.CardCountry,
		CardActivity: c.Activity, RemindersSent: c.Reminders,
		Preset: preset, RetriesLeft: retriesLeft, WindowEnd: windowEnd,
	}
	if !c.PMUpdatedAt.IsZero() {
		u := c.PMUpdatedAt
		rc.PaymentMethodUpdatedAt = &u
	}
	for i, a := range c.Attempts {
		out := domain.Failed
		if a.Succeeded {
			out = domain.Succeeded
		}
		ini := domain.InitiatorRetry
		if i == 0 {
			ini = domain.InitiatorInitial
		}
		rc.Attempts = append(rc.Attempts, domain.PaymentAttempted{Base: domain.Base{OccurredAt: a.At}, InvoiceID: invoiceID, AttemptNumber: i + 1, Amount: c.Amount, Outcome: out, DeclineCode: a.DeclineCode, AdviceCode: a.AdviceCode, Network: c.Network, Funding: c.Funding, Initiator: ini})
		rc.CardAttempts = append(rc.CardAttempts, a.At)
	}
	return rc
}
