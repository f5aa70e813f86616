package simulator

import (
	"container/heap"
	"context"
	"crypto/sha1"
	"fmt"
	"hash"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// PopSimulate is the population simulate draws its customers from.
const PopSimulate = 3

// Engine is the dunning engine as a simulation drives it on a virtual
// clock (dunning.Engine satisfies it). Decide fires every timer due up to
// t on what the engine holds and stages its decisions, without waiting
// for the store; Commit starts writing everything staged as one flush
// (queued behind the flushes still in flight, up to a few) and returns
// while it is in flight. NextWake is its next timer. Record
// hands it the world's facts: it applies them at once and writes them with
// its decisions, in one commit. Flush writes what it holds and waits.
// SubscriptionStatus and Invoice are what it knows of a subscription and
// an invoice, written or not, so the world never reads the store.
type Engine interface {
	Decide(ctx context.Context, t time.Time) error
	Commit(ctx context.Context) error
	NextWake() (time.Time, bool)
	Record(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []domain.Event, data []eventstore.EventData) error
	Flush(ctx context.Context) error
	SubscriptionStatus(id string) domain.SubscriptionStatus
	Invoice(id string) *domain.Invoice
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
// own. Every fact it records goes to the engine with a deterministic
// event ID; the engine's decisions are the engine's.
type Sim struct {
	m     *Model
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
	chargeMu  sync.Mutex             // the engine may charge from its own goroutines
	sha1      hash.Hash              // eventID's, reused: the world stages from one goroutine
	idBuf     []byte                 // eventID's name
	dataBuf   []eventstore.EventData // encode's, reused
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
func NewSim(m *Model, opt SimOptions) (*Sim, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Preset == nil {
		p := domain.DefaultPresetSpec()
		opt.Preset = &p
	}
	s := &Sim{m: m, opt: opt, start: m.start, invoices: map[string]*simInvoice{}, charges: map[string]ChargeResult{}}
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
//
// A step at time t is: the engine decides what is due up to t (Decide)
// and starts writing (Commit: one commit of those decisions and of the
// facts recorded since the last one, in flight while the world goes on),
// then the world's facts up to t are recorded. When they make the next
// time t again (a timer or a fact due by t), the engine decides again and
// the world records again, and the next step's commit takes both.
func (s *Sim) Run(ctx context.Context, eng Engine) error {
	s.eng = eng
	if err := s.setup(ctx); err != nil {
		return err
	}
	day := -1
	var last time.Time // the time of the last commit
	for t := s.next(); ; t = s.next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := eng.Decide(ctx, t); err != nil {
			return fmt.Errorf("simulate: engine at %s: %w", t.Format(time.RFC3339), err)
		}
		if t.After(last) {
			if err := eng.Commit(ctx); err != nil {
				return fmt.Errorf("simulate: engine at %s: %w", t.Format(time.RFC3339), err)
			}
			last = t
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

// next is the time the clock moves to next: the earliest of the next
// world fact and the engine's next timer, at the end of its step when the
// clock moves in steps.
func (s *Sim) next() time.Time {
	t := s.end
	if len(s.queue) > 0 && s.queue[0].at.Before(t) {
		t = s.queue[0].at
	}
	if w, ok := s.eng.NextWake(); ok && w.Before(t) {
		t = w
	}
	if s.opt.Step > 0 {
		// Move in whole steps: world facts of a step reach the engine
		// together at its end (never before they happen), so that a
		// commit writes many streams at once.
		t = s.start.Add((t.Sub(s.start)/s.opt.Step + 1) * s.opt.Step)
		if t.After(s.end) {
			t = s.end
		}
	}
	return t
}

// eventID is a deterministic event ID for a world fact: the UUIDv5 of
// "<seed>/<key>/<i>", the i-th event its stage records. The name is built
// in a reused buffer: the world stages from one goroutine.
func (s *Sim) eventID(key string, i int) uuid.UUID {
	if s.sha1 == nil {
		s.sha1 = sha1.New()
	}
	b := strconv.AppendUint(s.idBuf[:0], s.opt.Seed, 10)
	b = append(b, '/')
	b = append(b, key...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(i), 10)
	s.idBuf = b
	return uuid.NewHash(s.sha1, simIDSpace, b, 5) // = uuid.NewSHA1
}

var simIDSpace = uuid.MustParse("3b7e1c52-8f0d-4a43-b1f6-6d2a9e5c7f10")

// stage hands events for their stream, with deterministic IDs, to the
// engine, which applies them at once and writes them with its next
// decisions, in staging order.
func (s *Sim) stage(ctx context.Context, key string, expected eventstore.ExpectedRevision, evs ...domain.Event) error {
	data := s.encode(key, evs)
	stream := evs[0].StreamName()
	if err := s.eng.Record(ctx, stream, expected, evs, data); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	return nil
}

// encode gives each event its ID, type and metadata; the engine encodes
// its data (Record with nil Data), into memory it reuses. The slice is the
// world's scratch: Record copies it.
func (s *Sim) encode(key string, evs []domain.Event) []eventstore.EventData {
	data := s.dataBuf[:0]
	for i, e := range evs {
		data = append(data, eventstore.EventData{ID: s.eventID(key, i), Type: e.EventType(), ContentType: eventstore.ContentTypeJSON, Metadata: s.meta})
	}
	s.dataBuf = data
	s.Stats.WorldEvents += len(evs)
	return data
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
