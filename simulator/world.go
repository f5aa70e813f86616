package simulator

// WorldSchemaVersion is the version of the world file format this build
// reads and writes.
const WorldSchemaVersion = 1

// World is a simulated market of subscribers, cards and issuers, as read
// from a world file. Shares are probabilities and must each sum to 1
// (within 1e-6) where they form a distribution; rates are per day unless
// the name says otherwise. doc.go explains how the parts fit together.
type World struct {
	Schema      int    `json:"schema"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Start is the first renewal date (YYYY-MM-DD, UTC); renewals of a
	// population are spread over SpanDays from it.
	Start    string `json:"start"`
	SpanDays int    `json:"span_days"`

	Countries []Country          `json:"countries"`
	Funding   map[string]float64 `json:"funding"`  // credit, debit, prepaid → share of cards
	Networks  map[string]float64 `json:"networks"` // visa, mastercard, amex, discover → share
	Plans     []Plan             `json:"plans"`

	// DeclineRate is the first-attempt decline rate of a renewal charge by
	// funding, for a customer of average frailty.
	DeclineRate map[string]float64 `json:"decline_rate"`
	// DeclineMix is the observed decline reason mix at first failure, by
	// funding (reason → share).
	DeclineMix map[string]map[string]float64 `json:"decline_mix"`
	// Codes are the processor decline codes each reason is reported as
	// (reason → code → share); every code must be in domain's table.
	Codes map[string]map[string]float64 `json:"codes"`
	// CauseGivenReason is the hidden cause behind each observed reason
	// (reason → cause → share): the noisy part of the observation.
	CauseGivenReason map[string]map[string]float64 `json:"cause_given_reason"`
	// AdviceCodes are the Mastercard merchant advice codes sent with a
	// decline, by hidden cause (cause → code → share; "" for none).
	AdviceCodes map[string]map[string]float64 `json:"advice_codes"`

	Causes   Causes         `json:"causes"`
	Frailty  []FrailtyLevel `json:"frailty"`
	Activity Activity       `json:"activity"`
	// CustomerUpdate is the customer replacing their card and paying.
	CustomerUpdate CustomerUpdate `json:"customer_update"`
}

// Country is a share of the population living in one time zone; a
// country spanning zones appears once per zone.
type Country struct {
	Code     string  `json:"code"`      // ISO 3166-1 alpha-2
	TimeZone string  `json:"time_zone"` // IANA name
	Share    float64 `json:"share"`
	// Paydays is the mix of pay schedules in the country.
	Paydays []PaydayShare `json:"paydays"`
}

// PaydayShare is the share of a country's payers on one schedule.
type PaydayShare struct {
	Schedule string  `json:"schedule"` // see PaydaySchedules
	Share    float64 `json:"share"`
}

// Plan is a price point subscribers are on.
type Plan struct {
	Name          string  `json:"name"`
	Amount        int64   `json:"amount"` // minor units
	Currency      string  `json:"currency"`
	Interval      string  `json:"interval"` // month or year
	IntervalCount int     `json:"interval_count"`
	Share         float64 `json:"share"`
}

// Causes are the hidden recovery processes, one per cause.
type Causes struct {
	Funds     FundsCause  `json:"funds"`
	Hold      CureCause   `json:"hold"`
	Technical CureCause   `json:"technical"`
	Hard      UpdateCause `json:"hard"`
	CardData  UpdateCause `json:"card_data"`
}

// FundsCause is a funds shortfall: almost no chance between paydays, a
// jump when pay is deposited around local midnight, decaying over days as
// the money is spent. One draw per pay period decides whether the balance
// covers the charge, so attempts within a period are correlated.
type FundsCause struct {
	Alive          float64 `json:"alive"`              // share that ever pays on this card
	BetweenPaydays float64 `json:"between_paydays"`    // approval chance before the next deposit
	AtDeposit      float64 `json:"at_deposit"`         // extra approval chance right after a deposit
	DecayDays      float64 `json:"decay_days"`         // e-folding time of AtDeposit
	DepositHour    int     `json:"deposit_local_hour"` // local hour pay lands (0 = midnight)
}

// CureCause is a state that ends at a random cure time (an issuer hold,
// a technical fault): no approval before, approval after. Cure hazards
// are divided by the customer's frailty.
type CureCause struct {
	Alive float64 `json:"alive"`
	// HalfLifeHours by funding: the median cure time of an average
	// customer.
	HalfLifeHours map[string]float64 `json:"half_life_hours"`
	// GridHours is the resolution of cure times (a cure lands on a
	// multiple of it, counted from the failure).
	GridHours int     `json:"grid_hours"`
	Approval  float64 `json:"approval"` // approval chance once cured
	// LocalHourAmplitude and PeakLocalHour shape a mild time-of-day
	// effect: approval × (1 + a·cos(2π(h − peak)/24)).
	LocalHourAmplitude float64 `json:"local_hour_amplitude"`
	PeakLocalHour      int     `json:"peak_local_hour"`
	// NoisePeriodHours: attempts within one such block since the failure
	// share one draw (1 = every hour is independent).
	NoisePeriodHours int `json:"noise_period_hours"`
}

// UpdateCause never succeeds on the same card: only new card data, from
// the account updater or the customer, cures it.
type UpdateCause struct {
	Alive float64 `json:"alive"` // share whose new card pays
	// UpdaterShare is the share of cards the account updater refreshes,
	// after an exponential delay of UpdaterMeanDays.
	UpdaterShare    float64 `json:"updater_share"`
	UpdaterMeanDays float64 `json:"updater_mean_days"`
	NewCardApproval float64 `json:"new_card_approval"`
}

// FrailtyLevel is one point of the per-customer frailty distribution. A
// customer's first-attempt decline chance is multiplied by Value and cure
// hazards are divided by it; the shares' weighted mean of Value must be 1.
type FrailtyLevel struct {
	Value float64 `json:"value"`
	Share float64 `json:"share"`
}

// Activity is card activity: devices presenting the card elsewhere, a
// Poisson process whose rate follows whether the card can pay now.
type Activity struct {
	LivePerDay float64 `json:"live_per_day"` // rate while the card can pay
	IdlePerDay float64 `json:"idle_per_day"` // rate while it cannot (held, empty, dead)
	// PaydayBoost multiplies the live rate right after a pay deposit,
	// decaying like FundsCause.AtDeposit.
	PaydayBoost float64 `json:"payday_boost"`
}

// CustomerUpdate is the customer putting in a new card (and paying) after
// a failure, at PerDay, raised by ReminderBoost for every reminder sent.
// Only live customers do.
type CustomerUpdate struct {
	PerDay        float64 `json:"per_day"`
	ReminderBoost float64 `json:"reminder_boost"`
}
