package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Recommender plans a retry schedule and scores every allowed slot; the
// smart planner (smartretry.Planner) implements it.
type Recommender interface {
	Recommend(ctx context.Context, rc domain.RetryContext) (smartretry.Recommendation, error)
	// RecommendSchedule is Recommend without the scored candidates, for
	// requests that ask for none.
	RecommendSchedule(ctx context.Context, rc domain.RetryContext) (smartretry.Recommendation, error)
}

// Limits of a recommendation request.
const (
	MaxCandidates       = 500
	DefaultRecRetries   = 3
	DefaultRecWindow    = 7
	maxRecWindowDays    = 60
	maxInlineAttempts   = 50
	recommendationsPath = "/v1/recommendations/retry"
)

type recommendRequest struct {
	InvoiceID  string         `json:"invoice_id,omitempty"`
	Context    *inlineContext `json:"context,omitempty"`
	MaxRetries *int           `json:"max_retries,omitempty"`
	WindowDays *int           `json:"window_days,omitempty"`
	AsOf       string         `json:"as_of,omitempty"`
	Candidates []string       `json:"candidates,omitempty"`

	now        time.Time
	asOf       time.Time
	candidates []time.Time
}

// inlineContext describes a failed payment that is not in the ledger.
type inlineContext struct {
	DeclineCode            string `json:"decline_code"`
	AdviceCode             string `json:"advice_code,omitempty"`
	Network                string `json:"network"`
	Funding                string `json:"funding"`
	Country                string `json:"country,omitempty"`
	CardCountry            string `json:"card_country,omitempty"`
	TimeZone               string `json:"time_zone,omitempty"`
	Amount                 int64  `json:"amount"`
	Currency               string `json:"currency"`
	FailedAt               string `json:"failed_at"`
	FirstFailedAt          string `json:"first_failed_at,omitempty"`
	Attempts               int    `json:"attempts,omitempty"`
	PaymentMethodUpdatedAt string `json:"payment_method_updated_at,omitempty"`

	failedAt, firstFailedAt, pmUpdatedAt time.Time
}

func (q *recommendRequest) validate() []FieldError {
	var f fields
	switch {
	case q.InvoiceID == "" && q.Context == nil:
		f.add("invoice_id", CodeRequired, "send invoice_id (an invoice in the ledger) or context (a failed payment described inline)")
	case q.InvoiceID != "" && q.Context != nil:
		f.add("context", "mutually_exclusive", "send either invoice_id or context, not both")
	case q.InvoiceID != "":
		f.id("invoice_id", q.InvoiceID)
	default:
		q.Context.check(&f, q.now)
	}
	if q.MaxRetries != nil {
		f.between("max_retries", *q.MaxRetries, 1, domain.MaxManualRetries)
	}
	if q.WindowDays != nil {
		f.between("window_days", *q.WindowDays, 1, maxRecWindowDays)
	}
	q.asOf = f.timestamp("as_of", q.AsOf, false)
	if len(q.Candidates) > MaxCandidates {
		f.add("candidates", CodeOutOfRange, fmt.Sprintf("at most %d candidate times", MaxCandidates))
	} else {
		for i, c := range q.Candidates {
			q.candidates = append(q.candidates, f.timestamp(fmt.Sprintf("candidates[%d]", i), c, true))
		}
	}
	if q.Context != nil && !q.asOf.IsZero() && !q.Context.failedAt.IsZero() && q.asOf.Before(q.Context.failedAt) {
		f.add("as_of", CodeOutOfRange, "must not be before context.failed_at")
	}
	return f
}

func (c *inlineContext) check(f *fields, now time.Time) {
	f.declineCode("context.decline_code", c.DeclineCode, true)
	f.adviceCode("context.advice_code", c.AdviceCode)
	f.network("context.network", domain.Network(c.Network), true)
	f.funding("context.funding", domain.Funding(c.Funding), true)
	f.country("context.country", c.Country, false)
	f.country("context.card_country", c.CardCountry, false)
	f.timeZone("context.time_zone", c.TimeZone, false)
	if c.Country == "" && c.TimeZone == "" {
		f.add("context.time_zone", CodeRequired, "send time_zone (preferred) or country, so that local hours are known")
	}
	f.positive("context.amount", c.Amount)
	f.currency("context.currency", c.Currency)
	c.failedAt = f.timestamp("context.failed_at", c.FailedAt, true)
	c.firstFailedAt = f.timestamp("context.first_failed_at", c.FirstFailedAt, false)
	c.pmUpdatedAt = f.timestamp("context.payment_method_updated_at", c.PaymentMethodUpdatedAt, false)
	if !c.failedAt.IsZero() && c.failedAt.After(now.Add(clockSkew)) {
		f.add("context.failed_at", CodeOutOfRange, "must not be in the future")
	}
	if !c.firstFailedAt.IsZero() && !c.failedAt.IsZero() && c.firstFailedAt.After(c.failedAt) {
		f.add("context.first_failed_at", CodeOutOfRange, "must not be after failed_at")
	}
	if c.Attempts != 0 {
		f.between("context.attempts", c.Attempts, 1, maxInlineAttempts)
	}
}

// retryContext turns the inline description into the planner's view.
// When only a count of attempts is given, the earlier ones are taken as
// evenly spaced between first_failed_at and failed_at with the same
// decline code: the planner needs their times, and this is the least
// informative assumption.
func (c *inlineContext) retryContext(now time.Time) domain.RetryContext {
	n := max(c.Attempts, 1)
	first := c.firstFailedAt
	if first.IsZero() {
		first = c.failedAt
	}
	rc := domain.RetryContext{
		Now: now, Amount: c.Amount, Currency: c.Currency,
		CustomerCountry: c.Country, CustomerTimeZone: c.TimeZone,
		Network: domain.Network(c.Network), Funding: domain.Funding(c.Funding), CardCountry: c.CardCountry,
	}
	if !c.pmUpdatedAt.IsZero() {
		t := c.pmUpdatedAt
		rc.PaymentMethodUpdatedAt = &t
	}
	rc.Attempts, rc.CardAttempts = make([]domain.PaymentAttempted, 0, n), make([]time.Time, 0, n)
	span := c.failedAt.Sub(first)
	for i := 0; i < n; i++ {
		at := c.failedAt
		if n > 1 {
			at = first.Add(span * time.Duration(i) / time.Duration(n-1))
		}
		init := domain.InitiatorRetry
		if i == 0 {
			init = domain.InitiatorInitial
		}
		rc.Attempts = append(rc.Attempts, domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, AttemptNumber: i + 1,
			Amount: c.Amount, Currency: c.Currency, Outcome: domain.Failed, DeclineCode: c.DeclineCode, AdviceCode: c.AdviceCode,
			Network: rc.Network, Funding: rc.Funding, Initiator: init})
		rc.CardAttempts = append(rc.CardAttempts, at)
	}
	return rc
}

// Recommendation is the response of POST /v1/recommendations/retry.
type Recommendation struct {
	Object        string                `json:"object"`
	InvoiceID     *string               `json:"invoice_id"`
	ModelVersion  string                `json:"model_version"`
	Retry         bool                  `json:"retry"`
	NextAttemptAt *time.Time            `json:"next_attempt_at"`
	Schedule      []domain.PlannedSlot  `json:"schedule"`
	Candidates    []ScoredCandidate     `json:"candidates"`
	Explanation   string                `json:"explanation"`
	Contributions []domain.Contribution `json:"contributions"`
	Window        Window                `json:"window"`
	TimeZone      string                `json:"time_zone"`
	AsOf          time.Time             `json:"as_of"`
	RetriesLeft   int                   `json:"retries_left"`

	// times holds what NextAttemptAt and Window point to, so that a
	// response is one allocation rather than one per time.
	times [3]time.Time
}

// ScoredCandidate is a client-proposed time with the model's probability
// when the time is allowed (in the window, after the minimum spacing, and
// permitted by the card networks' rules).
type ScoredCandidate struct {
	At          time.Time `json:"at"`
	Allowed     bool      `json:"allowed"`
	Probability *float64  `json:"probability"`
	Reason      string    `json:"reason,omitempty"`
}

// Window is the span the planner searched.
type Window struct {
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`
}

func (s *Server) mountRecommendations(r chi.Router) {
	r.Post(recommendationsPath, s.handle(s.postRecommendation))
}

func (s *Server) postRecommendation(w http.ResponseWriter, r *http.Request) error {
	req := recommendRequest{now: s.now()}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if s.cfg.Recommender == nil {
		return notConfigured("the retry model")
	}
	asOf := req.asOf
	if asOf.IsZero() {
		asOf = s.now().UTC()
	}
	var rc domain.RetryContext
	var preset *domain.PresetSpec
	var invoiceID *string
	if req.InvoiceID != "" {
		var err error
		rc, preset, err = contextFromLedger(r.Context(), s.store, s.cfg.ReadModels, req.InvoiceID, asOf)
		if err != nil {
			return err
		}
		invoiceID = &req.InvoiceID
	} else {
		rc = req.Context.retryContext(asOf)
	}
	budget(&rc, preset, req.MaxRetries, req.WindowDays)
	// Called directly rather than through a method value, whose wrapper
	// would copy the context once more on a deep stack.
	var rec smartretry.Recommendation
	var err error
	if len(req.candidates) == 0 {
		rec, err = s.cfg.Recommender.RecommendSchedule(r.Context(), rc)
	} else {
		rec, err = s.cfg.Recommender.Recommend(r.Context(), rc)
	}
	if err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	return writeJSON(w, http.StatusOK, recommendationView(rec, rc, invoiceID, req.candidates))
}

// budget sets the retries left and the window: the request's numbers win,
// then the invoice's dunning preset, then the account default of 3
// retries in 7 days from the first failure.
func budget(rc *domain.RetryContext, preset *domain.PresetSpec, maxRetries, windowDays *int) {
	retries, window := DefaultRecRetries, time.Duration(DefaultRecWindow)*24*time.Hour
	if preset != nil {
		retries, window = smartretry.Budget(*preset)
		rc.Preset = *preset
	} else {
		rc.Preset = domain.PresetSpec{Name: "recommendation", RetriesEnabled: true, SmartRetries: true,
			SmartMaxRetries: retries, SmartWindowDays: DefaultRecWindow}
	}
	if maxRetries != nil {
		retries = *maxRetries
		rc.Preset.SmartMaxRetries = retries
	}
	if windowDays != nil {
		window = time.Duration(*windowDays) * 24 * time.Hour
		rc.Preset.SmartWindowDays = *windowDays
	}
	used := 0
	for _, a := range rc.Attempts {
		if a.Initiator == domain.InitiatorRetry {
			used++
		}
	}
	if used == 0 && len(rc.Attempts) > 1 {
		used = len(rc.Attempts) - 1
	}
	rc.RetriesLeft = max(retries-used, 0)
	rc.WindowEnd = rc.Attempts[0].OccurredAt.Add(window)
}

func recommendationView(rec smartretry.Recommendation, rc domain.RetryContext, invoiceID *string, candidates []time.Time) *Recommendation {
	p := rec.Plan
	v := &Recommendation{Object: "retry_recommendation", InvoiceID: invoiceID, ModelVersion: p.ModelVersion, Retry: p.Retry,
		Schedule: p.Schedule, Explanation: p.Explanation, Contributions: p.Contributions, AsOf: rc.Now.UTC(),
		RetriesLeft: rc.RetriesLeft, TimeZone: "UTC", Candidates: []ScoredCandidate{}}
	if v.Schedule == nil {
		v.Schedule = []domain.PlannedSlot{}
	}
	if v.Contributions == nil {
		v.Contributions = []domain.Contribution{}
	}
	if p.Retry {
		v.times[0] = p.At.UTC()
		v.NextAttemptAt = &v.times[0]
	}
	if rec.Location != nil {
		v.TimeZone = rec.Location.String()
	}
	if !rec.Window[0].IsZero() {
		v.times[1], v.times[2] = rec.Window[0].UTC(), rec.Window[1].UTC()
		v.Window = Window{Start: &v.times[1], End: &v.times[2]}
	}
	if len(candidates) == 0 {
		return v
	}
	// The planner scores an hourly grid; a candidate gets its hour's slot.
	byHour := make(map[int64]float64, len(rec.Candidates))
	for _, c := range rec.Candidates {
		byHour[c.At.Truncate(time.Hour).Unix()] = c.Probability
	}
	for _, at := range candidates {
		sc := ScoredCandidate{At: at.UTC()}
		hour := at.Truncate(time.Hour)
		if p, ok := byHour[hour.Unix()]; ok {
			sc.Allowed, sc.Probability = true, &p
		} else {
			sc.Reason = candidateReason(rec, rc, at)
		}
		v.Candidates = append(v.Candidates, sc)
	}
	return v
}

func candidateReason(rec smartretry.Recommendation, rc domain.RetryContext, at time.Time) string {
	switch {
	case rc.RetriesLeft <= 0:
		return "no retries left in the budget"
	case rec.Window[0].IsZero():
		return "no retry is allowed: " + rec.Plan.Explanation
	case at.Before(rec.Window[0].Truncate(time.Hour)):
		return "before the earliest allowed retry (" + rec.Window[0].UTC().Format(time.RFC3339) + ")"
	case !at.Before(rec.Window[1]):
		return "after the end of the retry window (" + rec.Window[1].UTC().Format(time.RFC3339) + ")"
	}
	return "refused by the card networks' retry rules"
}
