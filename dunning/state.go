package dunning

import (
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// The engine's memory: the domain aggregates of every invoice and
// subscription it may act on, the presets, products and settings that
// resolve a run's preset, and each card's history for the network rules,
// all rebuilt from $all on start and kept current by the subscription and
// by the events the engine writes itself.

type customer struct {
	email, name, country, tz string
	// invoices are the customer's invoices, for a new default card.
	invoices map[string]bool
}

type card struct {
	history    domain.CardHistory
	funding    domain.Funding
	country    string
	updatedAt  *time.Time
	activity   []time.Time
	customerID string
	// invoices are the invoices attempted on the card, for card updates.
	invoices map[string]bool
}

// invoice is one invoice's aggregate plus what the engine adds: the
// webhooks owed, the outcome of sends, and its timer.
type invoice struct {
	id  string
	agg *domain.Invoice
	// live is false while the invoice's latest event is a backfill: the
	// engine takes no action on history.
	live bool
	// notes are the webhooks owed (emails are the aggregate's reminders).
	notes []*note
	// outcomes are recorded send failures and successes by message or
	// webhook id, kept apart from notes because $all may hold a send's
	// record before its trigger (different streams).
	outcomes map[string]outcome
	// cardChanged is a payment method whose new data may restart retries;
	// the engine asks domain.OnPaymentMethodChanged at its next wake.
	cardChanged   string
	cardChangedAt time.Time
	// chargeRetryAt delays a charge whose gateway call failed (unknown
	// outcome); in memory only: a restart tries at once, with the same
	// idempotency key.
	chargeRetryAt time.Time
	// chargeHeld is the idempotency key of a charge that is not to be
	// sent again: the ledger refused the attempt its request made, or the
	// gateway refused the key as used with other parameters (ErrKeyReused).
	// Deciding that attempt again would send the same request and meet
	// the same refusal, so only the charge waits, for the ledger to change
	// (a new attempt number); reminders, webhooks and every other decision
	// go on. In memory only.
	chargeHeld string
	lastAt     time.Time // business time of the latest applied event
	wake       time.Time // time of this invoice's live timer entry
}

func (inv *invoice) open() bool { return inv.agg.Status == domain.InvoiceOpen }

// payable: the invoice still takes money (open or uncollectible), the
// domain's rule (domain.Invoice payable); otherwise it is closed.
func (inv *invoice) payable() bool {
	return inv.agg.Status == domain.InvoiceOpen || inv.agg.Status == domain.InvoiceUncollectible
}

// note is a webhook owed: created when its trigger event is applied,
// done when a delivered WebhookSent for its id is applied.
type note struct {
	key      string
	at       time.Time // when it is due (next try after failures)
	attempts int
	done     bool
	event    notify.Event
}

// outcome is what the ledger records about one send.
type outcome struct {
	attempts int
	at       time.Time
	done     bool
}

// state is everything the engine knows.
type state struct {
	customers map[string]*customer
	cards     map[string]*card
	subs      map[string]*domain.Subscription
	invoices  map[string]*invoice
	presets   map[string]*domain.Preset
	products  map[string]*domain.Product
	settings  *domain.Settings
}

func newState() *state {
	return &state{
		customers: map[string]*customer{},
		cards:     map[string]*card{},
		subs:      map[string]*domain.Subscription{},
		invoices:  map[string]*invoice{},
		presets:   map[string]*domain.Preset{},
		products:  map[string]*domain.Product{},
		settings:  domain.RebuildSettings(nil),
	}
}

func (s *state) card(id string) *card {
	c := s.cards[id]
	if c == nil {
		c = &card{history: domain.CardHistory{PaymentMethodID: id}, invoices: map[string]bool{}}
		s.cards[id] = c
	}
	return c
}

func (s *state) customer(id string) *customer {
	c := s.customers[id]
	if c == nil {
		c = &customer{invoices: map[string]bool{}}
		s.customers[id] = c
	}
	return c
}

func (s *state) invoice(id string) *invoice {
	inv := s.invoices[id]
	if inv == nil {
		inv = &invoice{id: id, agg: &domain.Invoice{}, outcomes: map[string]outcome{}}
		s.invoices[id] = inv
	}
	return inv
}

func (s *state) subscription(id string) *domain.Subscription {
	sub := s.subs[id]
	if sub == nil {
		sub = &domain.Subscription{}
		s.subs[id] = sub
	}
	return sub
}

// preset resolves the preset a new run of inv would start with.
func (s *state) preset(inv *domain.Invoice) (string, domain.PresetSpec) {
	return domain.ResolvePreset(s.products[inv.ProductID], s.settings, func(id string) (*domain.Preset, bool) {
		p, ok := s.presets[id]
		return p, ok
	})
}
