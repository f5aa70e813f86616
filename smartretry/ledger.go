package smartretry

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// Ledger is the part of an event history that smart retries learn from,
// gathered by one forward scan of $all.
type Ledger struct {
	Invoices  map[string]*InvoiceHistory
	Order     []string // invoice IDs in order of finalisation
	Customers map[string]domain.CustomerRegistered
	Cards     map[string]*CardHistory
	// Subscriptions canceled for failed payment, by subscription ID.
	ChurnedAt map[string]time.Time
	Events    int
}

// CardHistory is what the ledger knows of one payment method.
type CardHistory struct {
	Attached domain.PaymentMethodAttached
	Updates  []time.Time
	Activity []time.Time
}

// LoggedAttempt is a PaymentAttempted with the scheduling decision that
// led to it, if one was recorded.
type LoggedAttempt struct {
	domain.PaymentAttempted
	// ScheduledAt is when the retry was planned (RetryScheduled's business
	// time); zero when no RetryScheduled preceded the attempt.
	ScheduledAt time.Time
	Scheduled   *domain.RetryScheduled
}

// InvoiceHistory is one invoice's events that matter here.
type InvoiceHistory struct {
	Finalized domain.InvoiceFinalized
	Attempts  []LoggedAttempt
	Reminders []time.Time
	Dunning   *domain.DunningStarted
	PaidAt    time.Time
	Paid      int64
	pending   map[int]*domain.RetryScheduled // attempt number -> latest schedule
}

// Failed reports whether the invoice's first attempt failed.
func (h *InvoiceHistory) Failed() bool {
	return len(h.Attempts) > 0 && h.Attempts[0].Outcome == domain.Failed
}

// ScanLedger reads every event of the store and gathers a Ledger. The
// progress callback, if set, gets the number of events read so far.
func ScanLedger(ctx context.Context, st eventstore.Store, progress func(events int)) (*Ledger, error) {
	l := NewLedger()
	from := eventstore.Start
	const page = 4096
	for {
		evs, err := st.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Count: page})
		if err != nil {
			return nil, fmt.Errorf("scan ledger: %w", err)
		}
		for i := range evs {
			e, err := domain.Decode(evs[i].Type, evs[i].Data)
			if err != nil {
				return nil, fmt.Errorf("scan ledger: event %s at %d: %w", evs[i].ID, evs[i].Position.Commit, err)
			}
			l.add(e)
		}
		l.Events += len(evs)
		if progress != nil {
			progress(l.Events)
		}
		if len(evs) < page {
			break
		}
		last := evs[len(evs)-1].Position
		from = eventstore.Position{Commit: last.Commit, Prepare: last.Prepare + 1}
	}
	l.Done()
	return l, nil
}

func (l *Ledger) invoice(id string) *InvoiceHistory {
	h := l.Invoices[id]
	if h == nil {
		h = &InvoiceHistory{pending: map[int]*domain.RetryScheduled{}}
		h.Finalized.InvoiceID = id
		l.Invoices[id] = h
	}
	return h
}

func (l *Ledger) card(id string) *CardHistory {
	c := l.Cards[id]
	if c == nil {
		c = &CardHistory{}
		c.Attached.PaymentMethodID = id
		l.Cards[id] = c
	}
	return c
}

// add folds one event into the ledger.
func (l *Ledger) add(e domain.Event) {
	switch e := e.(type) {
	case domain.CustomerRegistered:
		l.Customers[e.CustomerID] = e
	case domain.PaymentMethodAttached:
		l.card(e.PaymentMethodID).Attached = e
	case domain.PaymentMethodUpdated:
		c := l.card(e.PaymentMethodID)
		c.Updates = append(c.Updates, e.OccurredAt)
	case domain.CardActivityObserved:
		c := l.card(e.PaymentMethodID)
		c.Activity = append(c.Activity, e.OccurredAt)
	case domain.InvoiceFinalized:
		if _, seen := l.Invoices[e.InvoiceID]; !seen {
			l.Order = append(l.Order, e.InvoiceID)
		}
		l.invoice(e.InvoiceID).Finalized = e
	case domain.DunningStarted:
		d := e
		l.invoice(e.InvoiceID).Dunning = &d
	case domain.RetryScheduled:
		r := e
		l.invoice(e.InvoiceID).pending[e.AttemptNumber] = &r
	case domain.PaymentAttempted:
		h := l.invoice(e.InvoiceID)
		a := LoggedAttempt{PaymentAttempted: e}
		if r := h.pending[e.AttemptNumber]; r != nil {
			a.ScheduledAt, a.Scheduled = r.OccurredAt, r
			delete(h.pending, e.AttemptNumber)
		}
		h.Attempts = append(h.Attempts, a)
	case domain.PaymentSucceeded:
		h := l.invoice(e.InvoiceID)
		h.Paid += e.Amount
	case domain.InvoicePaid:
		h := l.invoice(e.InvoiceID)
		h.PaidAt = e.OccurredAt
	case domain.ReminderSent:
		h := l.invoice(e.InvoiceID)
		h.Reminders = append(h.Reminders, e.OccurredAt)
	case domain.SubscriptionCanceled:
		if e.Reason == "payment_failed" {
			l.ChurnedAt[e.SubscriptionID] = e.OccurredAt
		}
	}
}

// caseAt builds the Case of invoice h just before its attempt index i
// (0-based), decided at decision: the attempts before i, the card's
// facts, activity and updates known at the decision.
func (l *Ledger) caseAt(h *InvoiceHistory, i int, decision time.Time) Case {
	cust := l.Customers[h.Finalized.CustomerID]
	loc, _ := location(cust.TimeZone)
	pmID := h.Attempts[max(i-1, 0)].PaymentMethodID
	if pmID == "" {
		pmID = h.Finalized.PaymentMethodID
	}
	card := l.Cards[pmID]
	c := Case{Amount: h.Finalized.Amount - h.Paid, Country: cust.Country, Loc: loc, Decision: decision}
	if i < len(h.Attempts) {
		c.Amount = h.Attempts[i].Amount
	}
	if card != nil {
		c.Network, c.Funding, c.CardCountry = card.Attached.Network, card.Attached.Funding, card.Attached.Country
		for _, u := range card.Updates {
			if !u.After(decision) {
				c.PMUpdatedAt = u
			}
		}
		hi := sort.Search(len(card.Activity), func(k int) bool { return card.Activity[k].After(decision) })
		c.Activity = card.Activity[:hi]
	}
	c.Attempts = make([]Attempt, 0, i)
	for _, a := range h.Attempts[:i] {
		c.Attempts = append(c.Attempts, Attempt{At: a.OccurredAt, DeclineCode: a.DeclineCode, AdviceCode: a.AdviceCode, Succeeded: a.Outcome == domain.Succeeded})
		if c.Network == "" {
			c.Network, c.Funding = a.Network, a.Funding
		}
	}
	for _, r := range h.Reminders {
		if !r.After(decision) {
			c.Reminders++
		}
	}
	return c
}

// TrainingRow is one attempt after a failure: the Case at its decision,
// its time and its outcome.
type TrainingRow struct {
	InvoiceID string
	Case      Case
	At        time.Time
	Success   bool
	// Source and Propensity are what the engine logged for the attempt.
	Source     domain.RetrySource
	Propensity float64
}

// Rows lists the ledger's training rows: every merchant-initiated attempt
// (retry or manual) whose previous attempt failed, in invoice order.
func (l *Ledger) Rows() []TrainingRow {
	var out []TrainingRow
	for _, id := range l.Order {
		h := l.Invoices[id]
		for i := 1; i < len(h.Attempts); i++ {
			a := h.Attempts[i]
			if h.Attempts[i-1].Outcome != domain.Failed {
				break
			}
			if a.Initiator != domain.InitiatorRetry && a.Initiator != domain.InitiatorManual {
				continue
			}
			decision := h.Attempts[i-1].OccurredAt
			if !a.ScheduledAt.IsZero() && a.ScheduledAt.After(decision) && !a.ScheduledAt.After(a.OccurredAt) {
				decision = a.ScheduledAt
			}
			out = append(out, TrainingRow{InvoiceID: id, Case: l.caseAt(h, i, decision), At: a.OccurredAt, Success: a.Outcome == domain.Succeeded, Source: a.Source, Propensity: a.Propensity})
		}
	}
	return out
}

// ContextFor builds the planner's view of invoice id after its last
// attempt, as the engine would at now, with the preset's remaining budget.
func (l *Ledger) ContextFor(id string, now time.Time) (domain.RetryContext, error) {
	h := l.Invoices[id]
	if h == nil || len(h.Attempts) == 0 {
		return domain.RetryContext{}, fmt.Errorf("invoice %s: no payment attempts in the ledger", id)
	}
	c := l.caseAt(h, len(h.Attempts), now)
	cust := l.Customers[h.Finalized.CustomerID]
	rc := domain.RetryContext{
		Now: now, InvoiceID: id, Amount: c.Amount, Currency: h.Finalized.Currency,
		CustomerCountry: cust.Country, CustomerTimeZone: cust.TimeZone,
		PaymentMethodID: h.Attempts[len(h.Attempts)-1].PaymentMethodID,
		Network:         c.Network, Funding: c.Funding, CardCountry: c.CardCountry,
		CardActivity: c.Activity, RemindersSent: c.Reminders,
	}
	if !c.PMUpdatedAt.IsZero() {
		u := c.PMUpdatedAt
		rc.PaymentMethodUpdatedAt = &u
	}
	for _, a := range h.Attempts {
		rc.Attempts = append(rc.Attempts, a.PaymentAttempted)
	}
	preset := domain.DefaultPresetSpec()
	if h.Dunning != nil {
		preset = h.Dunning.Preset
	}
	rc.Preset = preset
	retries, window := Budget(preset)
	rc.RetriesLeft = max(retries-(len(h.Attempts)-1), 0)
	rc.WindowEnd = h.Attempts[0].OccurredAt.Add(window)
	rc.CardAttempts = l.cardAttempts(rc.PaymentMethodID, now)
	return rc, nil
}

// cardAttempts lists attempts on a card in the 30 days before now, across
// invoices, for the networks' reattempt caps.
func (l *Ledger) cardAttempts(pm string, now time.Time) []time.Time {
	var out []time.Time
	from := now.Add(-30 * 24 * time.Hour)
	for _, h := range l.Invoices {
		for _, a := range h.Attempts {
			if a.PaymentMethodID == pm && a.OccurredAt.After(from) && !a.OccurredAt.After(now) {
				out = append(out, a.OccurredAt)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// Budget is a preset's retry count and window: the smart budget, or the
// manual schedule's length and total span.
func Budget(p domain.PresetSpec) (retries int, window time.Duration) {
	if !p.RetriesEnabled {
		return 0, 0
	}
	if p.SmartRetries {
		days := p.SmartWindowDays
		if days <= 0 {
			days = 14
		}
		return p.SmartMaxRetries, time.Duration(days) * 24 * time.Hour
	}
	total := 0
	for _, d := range p.Schedule {
		total += d
	}
	return len(p.Schedule), time.Duration(total) * 24 * time.Hour
}

// FirstFailure returns when invoice h's first attempt failed.
func (h *InvoiceHistory) FirstFailure() time.Time { return h.Attempts[0].OccurredAt }

// CaseAfter is the Case of invoice id decided at decision after the given
// attempts (the first is the invoice's real first failure; later ones may
// be hypothetical), with what the ledger knew of the card by then and
// reminders sent.
func (l *Ledger) CaseAfter(id string, attempts []Attempt, decision time.Time, reminders int) Case {
	h := l.Invoices[id]
	c := l.caseAt(h, 1, decision)
	c.Attempts = attempts
	c.Reminders = reminders
	c.Amount = h.Finalized.Amount
	if a := h.Attempts[0].Amount; a > 0 {
		c.Amount = a
	}
	return c
}

// DefaultPreset is the account default preset, for planning without one.
func DefaultPreset() domain.PresetSpec { return domain.DefaultPresetSpec() }

// NewLedger returns an empty Ledger to fold events into with Add, for
// histories that do not come from a store (replays, imports in memory).
func NewLedger() *Ledger {
	return &Ledger{Invoices: map[string]*InvoiceHistory{}, Customers: map[string]domain.CustomerRegistered{}, Cards: map[string]*CardHistory{}, ChurnedAt: map[string]time.Time{}}
}

// Add folds one event into the ledger; call Done after the last one.
func (l *Ledger) Add(e domain.Event) {
	l.add(e)
	l.Events++
}

// Done sorts what Add gathered out of order.
func (l *Ledger) Done() {
	for _, c := range l.Cards {
		sortTimes(c.Activity)
	}
}
