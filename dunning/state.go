package dunning

import (
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// The engine's memory: what it needs of the ledger to decide, rebuilt
// from $all on start and kept current by the subscription and by the
// events it writes itself. Invoices that can need no more action are
// dropped (see invoice.settled).

type customer struct {
	email, name, country, tz string
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

type subscription struct {
	id         string
	customerID string
	productID  string
	pmID       string
	status     domain.SubscriptionStatus
	rev        uint64 // last applied revision of its stream
}

// run is a dunning run: from DunningStarted to payment or exhaustion.
type run struct {
	started domain.DunningStarted
	// firstAttempt is the number of the failed attempt that started it.
	firstAttempt int
	next         *domain.RetryScheduled // the latest scheduled retry
	exhausted    *domain.DunningExhausted
	// Subscription effects already recorded for this invoice.
	pausedDuring, markedPastDue, pausedAfter, resumed, canceled bool
}

// invoice is one invoice's state. rev is the last applied revision of its
// stream: the expected revision of the engine's next append to it.
type invoice struct {
	id         string
	seen       bool
	rev        uint64
	writtenOff bool
	finalized  bool
	fin        domain.InvoiceFinalized
	status     domain.InvoiceStatus
	paid       int64
	attempts   []domain.PaymentAttempted
	// live is false while the invoice's latest event is a backfill: the
	// engine takes no action on history.
	live          bool
	run           *run
	overdue       *domain.InvoiceLeftOverdue
	reminders     map[string]domain.ReminderScheduled // by kind/at key
	remindersSent int
	notes         []*note
	outcomes      map[string]outcome // recorded sends by message or webhook id
	// chargeRetryAt delays a charge whose gateway call failed (unknown
	// outcome); it is in-memory only and a restart tries at once.
	chargeRetryAt time.Time
	// lastAt is the business time of the latest applied event.
	lastAt time.Time
	// cardUpdatedAt is the latest new card data for the card of its last
	// attempt (PaymentMethodUpdated or a new default card).
	cardUpdatedAt time.Time
	// wake is the time of this invoice's entry in the timer heap.
	wake time.Time
}

func (inv *invoice) remaining() int64 { return max(inv.fin.Amount-inv.paid, 0) }

func (inv *invoice) open() bool {
	return inv.finalized && inv.status == domain.InvoiceOpen && !inv.writtenOff
}

func (inv *invoice) lastAttempt() *domain.PaymentAttempted {
	if len(inv.attempts) == 0 {
		return nil
	}
	return &inv.attempts[len(inv.attempts)-1]
}

// channel of a notification.
type channel int

const (
	chEmail channel = iota
	chWebhook
)

// note is a notification owed: created when its trigger event is applied,
// done when its ReminderSent or delivered WebhookSent is applied. Its
// identity (key) is derived from the trigger, so a replay recreates the
// same note and finds it done.
type note struct {
	key      string
	ch       channel
	at       time.Time // when it is due (next try after failures)
	attempts int
	done     bool
	email    notify.Email
	event    notify.Event
	// onlyIfOpen cancels a reminder once the invoice is no longer open.
	onlyIfOpen bool
}

func (inv *invoice) note(key string) *note {
	for _, n := range inv.notes {
		if n.key == key {
			return n
		}
	}
	return nil
}

// presetFor resolves the preset of a new run: the product's choice, else
// the account default, else the built-in default.
func (s *state) presetFor(productID string) (string, domain.PresetSpec) {
	id := s.products[productID]
	if id == "" {
		id = s.defaultPreset
	}
	if spec, ok := s.presets[id]; ok && id != "" {
		return id, spec
	}
	return "default", domain.DefaultPresetSpec()
}

// state is everything the engine knows.
type state struct {
	customers     map[string]*customer
	cards         map[string]*card
	subs          map[string]*subscription
	invoices      map[string]*invoice
	presets       map[string]domain.PresetSpec
	products      map[string]string
	defaultPreset string
	settings      domain.CollectionSettings
}

func newState() *state {
	return &state{
		customers: map[string]*customer{},
		cards:     map[string]*card{},
		subs:      map[string]*subscription{},
		invoices:  map[string]*invoice{},
		presets:   map[string]domain.PresetSpec{},
		products:  map[string]string{},
		settings:  domain.DefaultCollectionSettings(),
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

func (s *state) invoice(id string) *invoice {
	inv := s.invoices[id]
	if inv == nil {
		inv = &invoice{id: id, reminders: map[string]domain.ReminderScheduled{}, outcomes: map[string]outcome{}}
		s.invoices[id] = inv
	}
	return inv
}
