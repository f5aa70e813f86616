package domain

import "time"

// RetryContext is everything a retry planner may know when it chooses the
// next attempt of a dunning run: facts recorded in the ledger up to Now,
// never hidden truth. The engine builds it from events; the smart planner
// turns it into features with the same code it trains with.
type RetryContext struct {
	Now       time.Time
	InvoiceID string
	Amount    int64 // amount remaining, minor units
	Currency  string

	CustomerCountry  string
	CustomerTimeZone string

	PaymentMethodID string
	Network         Network
	Funding         Funding
	CardCountry     string
	// PaymentMethodUpdatedAt is the last credential update, if any.
	PaymentMethodUpdatedAt *time.Time

	// Attempts are this invoice's attempts so far, oldest first; the last
	// one is the failure being planned after.
	Attempts []PaymentAttempted
	// CardAttempts are the times of every attempt on this card in the last
	// 30 days, across invoices, for the networks' reattempt caps.
	CardAttempts []time.Time
	// CardActivity are the times devices presented the card, newest last.
	CardActivity  []time.Time
	RemindersSent int

	// Preset is the run's snapshot; RetriesLeft and WindowEnd bound the plan.
	Preset      PresetSpec
	RetriesLeft int
	WindowEnd   time.Time
}

// RetryPlan is a planner's answer: retry at At, or stop.
type RetryPlan struct {
	Retry  bool
	At     time.Time
	Source RetrySource
	// Probability is the predicted chance that the attempt at At succeeds.
	Probability  float64
	ModelVersion string
	// Propensity is the probability the policy had of choosing At (1 for a
	// deterministic choice), logged for off-policy evaluation.
	Propensity float64
	// Schedule is the whole remaining plan; At is its first slot.
	Schedule []PlannedSlot
	// Explanation is a short human account of the choice, including what
	// stood in for a model if none was used.
	Explanation   string
	Contributions []Contribution
}

// PlannedSlot is one planned attempt with its predicted success chance.
type PlannedSlot struct {
	At          time.Time `json:"at"`
	Probability float64   `json:"probability"`
}

// Contribution is one feature's push on a prediction (in log-odds).
type Contribution struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
	Effect  float64 `json:"effect"`
}
