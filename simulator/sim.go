package simulator

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// PopSimulate is the population simulate draws its customers from.
const PopSimulate = 3

// Engine is the dunning engine as a simulation drives it on a virtual
// clock (dunning.Engine satisfies it): Step fires every timer due up to t
// and reacts to every event recorded so far, and may return while the
// step's writes are still being committed; NextWake is its next timer.
// Record hands it the world's facts: it applies them at once and writes
// them with its next decisions, in one commit. Flush writes what it holds
// and waits, for a read of the store. SubscriptionStatus is what it knows
// of a subscription, written or not.
type Engine interface {
	Step(ctx context.Context, t time.Time) error
	NextWake() (time.Time, bool)
	Record(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []domain.Event, data []eventstore.EventData) error
	Flush(ctx context.Context) error
	SubscriptionStatus(id string) domain.SubscriptionStatus
}

// ChargeRequest and ChargeResult mirror the engine's gateway types, so the
// world does not depend on the engine's package.
type ChargeRequest struct {
	IdempotencyKey  string
	InvoiceID       string
	PaymentMethodID string
	Amount          int64
	Currency        string
	AttemptNumber   int
	At              time.Time
}

// ChargeResult is the world's answer to a charge.
type ChargeResult struct {
	Succeeded          bool
	DeclineCode        string
	NetworkDeclineCode string
	AdviceCode         string
	ChargeID           string
}

// SimOptions configures a simulation.
type SimOptions struct {
	Seed      uint64
	Customers int
	Days      int
	// Preset is the account's default dunning preset (default: the
	// Metrifox default).
	Preset *domain.PresetSpec
	// Step, when positive, moves the clock in steps of this length: world
	// facts of a step are written together at its end, and the engine
	// sees them then (a fact is never seen before it happens, but may be
	// seen up to a step late). Zero interleaves facts and timers exactly.
	Step time.Duration
	// Progress, if set, is called with virtual days done.
	Progress func(day, days int)
}

// SimStats counts what a simulation did.
type SimStats struct {
	Renewals      int `json:"renewals"`
	Declines      int `json:"declines"`
	Charges       int `json:"charges"`
	CardActivity  int `json:"card_activity"`
	CardUpdates   int `json:"card_updates"`
	CustomerPays  int `json:"customer_payments"`
	WorldEvents   int `json:"world_events"`
	EngineEvents  int `json:"engine_events"` // events the dunning engine wrote
	SkippedRenews int `json:"skipped_renewals"`
}

// Sim is a world driving a ledger: its customers subscribe and renew, its
// issuers answer the engine's charges (it is the engine's gateway), its
// cards show activity and get updated, and its customers pay on their
// own. Every fact it records goes through the store with a deterministic
// event ID; the engine's decisions are the engine's.
type Sim struct {
	m     *Model
	store eventstore.Store
	opt   SimOptions
	start time.Time
	end   time.Time

	customers []*simCustomer
	invoices  map[string]*simInvoice
	charges   map[string]ChargeResult
	queue     worldQueue
	seq       uint64
	eng       Engine
	meta      []byte
	chargeMu  sync.Mutex // the engine may charge from its own goroutines
	Stats     SimStats
}

type simCustomer struct {
	*Customer
	subID, pmID, product string
	anchor               time.Time
	pmNumber             int // card number version (updates give new numbers)
}

// simInvoice is an invoice the world has billed, with its hidden fate
// once its first attempt is declined.
type simInvoice struct {
	cust     *simCustomer
	idx      uint64
	inv      Invoice
	declined bool
	h        hidden
	// updatedAt is when the card got new credentials after the failure
	// (hours after it), -1 before.
	updatedAt float64
	// Customer update hazard: accumulated up to hazAt, at the rate set
	// by the reminders (failed attempts) so far.
	hazard    float64
	hazAt     float64
	reminders int
	custVer   int
	done      bool
}

// Validate checks the options, naming the field and the rule.
func (opt *SimOptions) Validate() error {
	if opt.Customers < 1 || opt.Customers > 10_000_000 {
		return fmt.Errorf("simulate: customers: must be 1 to 10,000,000, got %d", opt.Customers)
	}
	if opt.Days < 1 || opt.Days > 3660 {
		return fmt.Errorf("simulate: days: must be 1 to 3660, got %d", opt.Days)
	}
	if opt.Step < 0 {
		return fmt.Errorf("simulate: step: must not be negative, got %v", opt.Step)
	}
	if opt.Preset != nil {
		if err := opt.Preset.Validate(); err != nil {
			return fmt.Errorf("simulate: preset: %w", err)
		}
	}
	return nil
}

// NewSim prepares a simulation of opt.Customers customers over opt.Days.
func NewSim(m *Model, store eventstore.Store, opt SimOptions) (*Sim, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Preset == nil {
		p := domain.DefaultPresetSpec()
		opt.Preset = &p
	}
	s := &Sim{m: m, store: store, opt: opt, start: m.start, invoices: map[string]*simInvoice{}, charges: map[string]ChargeResult{}}
	s.meta = domain.EncodeMetadata(domain.Metadata{CorrelationID: fmt.Sprintf("simulate-%d", opt.Seed)})
	s.end = s.start.AddDate(0, 0, opt.Days)
	return s, nil
}

// Start is the virtual time the simulation begins at.
func (s *Sim) Start() time.Time { return s.start }

// End is the virtual time it stops at.
func (s *Sim) End() time.Time { return s.end }

// Run drives the world and the engine from Start to End on the engine's
// virtual clock: it always moves to the earliest of the next world event
// and the engine's next timer, so facts and decisions interleave in time.
func (s *Sim) Run(ctx context.Context, eng Engine) error {
	s.eng = eng
	if err := s.setup(ctx); err != nil {
		return err
	}
	day := -1
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := s.end
		if len(s.queue) > 0 && s.queue[0].at.Before(t) {
			t = s.queue[0].at
		}
		if w, ok := eng.NextWake(); ok && w.Before(t) {
			t = w
		}
		if s.opt.Step > 0 {
			// Move in whole steps: world facts of a step reach the engine
			// together at its end (never before they happen), so that a
			// flush writes many streams at once.
			t = s.start.Add((t.Sub(s.start)/s.opt.Step + 1) * s.opt.Step)
			if t.After(s.end) {
				t = s.end
			}
		}
		if err := eng.Step(ctx, t); err != nil {
			return fmt.Errorf("simulate: engine at %s: %w", t.Format(time.RFC3339), err)
		}
		for len(s.queue) > 0 && !s.queue[0].at.After(t) {
			ev := heap.Pop(&s.queue).(*worldEvent)
			if err := s.apply(ctx, ev); err != nil {
				return err
			}
		}
		if d := int(t.Sub(s.start).Hours() / 24); d != day && s.opt.Progress != nil {
			day = d
			s.opt.Progress(min(d, s.opt.Days), s.opt.Days)
		}
		if !t.Before(s.end) {
			if _, ok := eng.NextWake(); !ok || len(s.queue) == 0 || !s.queue[0].at.Before(s.end) {
				return eng.Flush(ctx)
			}
		}
	}
}

// eventID is a deterministic event ID for a world fact.
func (s *Sim) eventID(key string) uuid.UUID {
	return uuid.NewSHA1(simIDSpace, fmt.Appendf(nil, "%d/%s", s.opt.Seed, key))
}

var simIDSpace = uuid.MustParse("3b7e1c52-8f0d-4a43-b1f6-6d2a9e5c7f10")

// stage hands events for their stream, with deterministic IDs, to the
// engine, which applies them at once and writes them with its next
// decisions, in staging order.
func (s *Sim) stage(ctx context.Context, key string, expected eventstore.ExpectedRevision, evs ...domain.Event) error {
	data, err := s.encode(key, evs)
	if err != nil {
		return err
	}
	stream := evs[0].StreamName()
	if err := s.eng.Record(ctx, stream, expected, evs, data); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	return nil
}

func (s *Sim) encode(key string, evs []domain.Event) ([]eventstore.EventData, error) {
	data := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		typ, b, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		data[i] = eventstore.EventData{ID: s.eventID(fmt.Sprintf("%s/%d", key, i)), Type: typ, ContentType: eventstore.ContentTypeJSON, Data: b, Metadata: s.meta}
	}
	s.Stats.WorldEvents += len(evs)
	return data, nil
}

// appendNow writes events at once (after the staged ones), for writes
// that depend on what the store holds.
func (s *Sim) appendNow(ctx context.Context, key string, expected eventstore.ExpectedRevision, evs ...domain.Event) error {
	if err := s.eng.Flush(ctx); err != nil {
		return err
	}
	data, err := s.encode(key, evs)
	if err != nil {
		return err
	}
	if _, err := s.store.Append(ctx, evs[0].StreamName(), expected, data...); err != nil {
		return fmt.Errorf("simulate: append to %s: %w", evs[0].StreamName(), err)
	}
	return nil
}

// outcome decides an attempt on a declined invoice at wall time at, with
// the same approval curve and keyed draws as a replay.
func (s *Sim) outcome(si *simInvoice, at time.Time) bool {
	hours := at.Sub(si.inv.FailedAt).Hours()
	slot := int(math.Floor(hours))
	lat := si.h.latent
	newCard := si.updatedAt >= 0 && hours >= si.updatedAt
	if newCard {
		lat.updatedAt = si.updatedAt
	}
	if slot > ReplayHorizon {
		slot = ReplayHorizon
	}
	p, noise := s.m.approval(&lat, &si.inv, slot, newCard)
	return p > 0 && uniform(s.opt.Seed, PopSimulate, si.idx, noise) < p
}
