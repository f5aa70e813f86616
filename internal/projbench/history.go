package projbench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Append is one atomic append the engine would make: events of one
// stream.
type Append struct {
	Stream string
	Events []domain.Event
}

// History generates a deterministic ledger history: customers register,
// attach a card and subscribe; each billing cycle finalizes an invoice
// and charges it; about one charge in eight fails and runs dunning under
// one of two presets, with retries recovering about a third of the time,
// reminders, card activity, and cancellation when retries run out.
// Events of many customers interleave, as in a real ledger.
type History struct {
	rng       *rand.Rand
	now       time.Time
	active    []*customer
	customers int
	invoices  int
}

type customer struct {
	id, pm, sub, product string
	tz                   string
	step                 int // 0 register, 1 attach, 2 subscribe, 3 finalize, 4 charge, 5 retry
	invoice              string
	attempt              int
	retries              int
	maxRetries           int
	preset               string
}

var (
	timeZones = []string{"America/New_York", "America/Los_Angeles", "Europe/Berlin", "Europe/London", "Asia/Tokyo", "America/Sao_Paulo", "Australia/Sydney"}
	countries = []string{"US", "US", "DE", "GB", "JP", "BR", "AU"}
	declines  = []struct {
		code string
		w    int
	}{{"insufficient_funds", 35}, {"do_not_honor", 30}, {"generic_decline", 10}, {"expired_card", 7},
		{"try_again_later", 7}, {"processing_error", 5}, {"stolen_card", 3}, {"incorrect_number", 3}}
	presets = map[string]domain.PresetSpec{
		"default": domain.DefaultPresetSpec(),
		"pre_long": {Name: "Long", RetriesEnabled: true, Schedule: []int{1, 2, 3, 4, 5, 6}, DuringRecovery: domain.DuringKeepActive,
			AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceWriteOff},
	}
)

// NewHistory returns a generator with the given seed and number of
// customers active at once (which sets how widely events interleave).
func NewHistory(seed uint64, active int) *History {
	h := &History{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range active {
		h.active = append(h.active, h.newCustomer())
	}
	return h
}

func (h *History) newCustomer() *customer {
	h.customers++
	i := h.customers
	c := &customer{id: fmt.Sprintf("cus_%07d", i), pm: fmt.Sprintf("pm_%07d", i), sub: fmt.Sprintf("sub_%07d", i),
		product: fmt.Sprintf("prod_%d", i%5), tz: timeZones[i%len(timeZones)]}
	return c
}

func (h *History) base() domain.Base {
	h.now = h.now.Add(time.Duration(h.rng.IntN(90)) * time.Second)
	return domain.Base{OccurredAt: h.now}
}

func (h *History) decline() string {
	n := h.rng.IntN(100)
	for _, d := range declines {
		if n < d.w {
			return d.code
		}
		n -= d.w
	}
	return declines[0].code
}

// Next returns the next append.
func (h *History) Next() Append {
	i := h.rng.IntN(len(h.active))
	c := h.active[i]
	if h.rng.IntN(20) == 0 && c.step > 1 {
		return Append{domain.PaymentMethodStream(c.pm), []domain.Event{domain.CardActivityObserved{Base: h.base(),
			PaymentMethodID: c.pm, DeviceID: fmt.Sprintf("dev_%d", h.rng.IntN(8))}}}
	}
	switch c.step {
	case 0:
		c.step++
		return Append{domain.CustomerStream(c.id), []domain.Event{domain.CustomerRegistered{Base: h.base(), CustomerID: c.id,
			Country: countries[h.customers%len(countries)], TimeZone: c.tz}}}
	case 1:
		c.step++
		funding := []domain.Funding{domain.Credit, domain.Debit, domain.Prepaid}[h.rng.IntN(3)]
		network := []domain.Network{domain.Visa, domain.Mastercard, domain.Amex}[h.rng.IntN(3)]
		return Append{domain.PaymentMethodStream(c.pm), []domain.Event{domain.PaymentMethodAttached{Base: h.base(), PaymentMethodID: c.pm,
			CustomerID: c.id, Network: network, Funding: funding, Country: countries[h.rng.IntN(len(countries))], ExpMonth: 1 + h.rng.IntN(12),
			ExpYear: 2027 + h.rng.IntN(4), Last4: "4242", Default: true}}}
	case 2:
		c.step++
		return Append{domain.SubscriptionStream(c.sub), []domain.Event{domain.SubscriptionStarted{Base: h.base(), SubscriptionID: c.sub,
			CustomerID: c.id, ProductID: c.product, PaymentMethodID: c.pm, Amount: 4900, Currency: "usd", Interval: domain.Month, IntervalCount: 1}}}
	case 3:
		c.step++
		h.invoices++
		c.invoice, c.attempt, c.retries = fmt.Sprintf("in_%08d", h.invoices), 0, 0
		return Append{domain.InvoiceStream(c.invoice), []domain.Event{domain.InvoiceFinalized{Base: h.base(), InvoiceID: c.invoice,
			CustomerID: c.id, SubscriptionID: c.sub, ProductID: c.product, PaymentMethodID: c.pm, Amount: 4900, Currency: "usd",
			CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"}}}
	case 4:
		return h.charge(c)
	default:
		return h.retry(c, i)
	}
}

func (h *History) attempt(c *customer, ok bool, init domain.Initiator) domain.PaymentAttempted {
	c.attempt++
	a := domain.PaymentAttempted{Base: h.base(), InvoiceID: c.invoice, PaymentMethodID: c.pm, AttemptNumber: c.attempt, Amount: 4900,
		Currency: "usd", Outcome: domain.Succeeded, Initiator: init, ChargeID: fmt.Sprintf("ch_%s_%d", c.invoice, c.attempt)}
	if init == domain.InitiatorRetry {
		a.Source, a.Propensity = domain.SourceSchedule, 0.95
		if h.rng.IntN(10) == 0 {
			a.Source, a.Propensity = domain.SourceExplore, 0.05
		}
	}
	if !ok {
		a.Outcome, a.DeclineCode = domain.Failed, h.decline()
		if info, known := domain.Decline(a.DeclineCode); known {
			a.NetworkDeclineCode = info.NetworkCode
		}
	}
	return a
}

func (h *History) paid(c *customer, a domain.PaymentAttempted) Append {
	c.step = 3 // next cycle
	return Append{domain.InvoiceStream(c.invoice), []domain.Event{a,
		domain.PaymentSucceeded{Base: a.Base, InvoiceID: c.invoice, Amount: a.Amount, AttemptNumber: a.AttemptNumber, ChargeID: a.ChargeID},
		domain.InvoicePaid{Base: a.Base, InvoiceID: c.invoice, AmountPaid: a.Amount}}}
}

func (h *History) charge(c *customer) Append {
	if h.rng.IntN(8) != 0 {
		return h.paid(c, h.attempt(c, true, domain.InitiatorInitial))
	}
	a := h.attempt(c, false, domain.InitiatorInitial)
	c.step, c.preset = 5, "default"
	if h.rng.IntN(3) == 0 {
		c.preset = "pre_long"
	}
	spec := presets[c.preset]
	c.maxRetries = len(spec.Schedule)
	b := a.Base
	return Append{domain.InvoiceStream(c.invoice), []domain.Event{a,
		domain.DunningStarted{Base: b, InvoiceID: c.invoice, SubscriptionID: c.sub, PresetID: c.preset, Preset: spec, Settings: domain.DefaultCollectionSettings()},
		domain.RetryScheduled{Base: b, InvoiceID: c.invoice, AttemptNumber: 2, At: b.OccurredAt.Add(24 * time.Hour), Source: domain.SourceSchedule, Propensity: 0.95},
		domain.ReminderSent{Base: b, InvoiceID: c.invoice, Kind: domain.ReminderPaymentFailed, Channel: "email"}}}
}

func (h *History) retry(c *customer, slot int) Append {
	c.retries++
	if h.rng.IntN(3) == 0 {
		return h.paid(c, h.attempt(c, true, domain.InitiatorRetry))
	}
	a := h.attempt(c, false, domain.InitiatorRetry)
	if c.retries < c.maxRetries {
		return Append{domain.InvoiceStream(c.invoice), []domain.Event{a,
			domain.RetryScheduled{Base: a.Base, InvoiceID: c.invoice, AttemptNumber: c.attempt + 1, At: a.OccurredAt.Add(48 * time.Hour),
				Source: domain.SourceSchedule, Propensity: 0.95}}}
	}
	// Retries ran out: the customer churns and a new one takes the slot.
	h.active[slot] = h.newCustomer()
	return Append{domain.InvoiceStream(c.invoice), []domain.Event{a,
		domain.DunningExhausted{Base: a.Base, InvoiceID: c.invoice, Attempts: c.attempt},
		domain.InvoiceLeftOverdue{Base: a.Base, InvoiceID: c.invoice}}}
}
