package smartsim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// HistoryOptions describe a recorded history: which failed invoices, the
// preset their runs used and how often the engine explored.
type HistoryOptions struct {
	Seed     uint64
	Pop      uint64 // population of the world
	First    uint64 // index of the first invoice
	Invoices int
	Preset   domain.PresetSpec
	// Explore is the share of retries moved to a uniformly random allowed
	// hour of the window, with their propensities logged, as the engine
	// does (dunning.DefaultExploreRate is 0.05).
	Explore float64
	// Near is the share of explored retries drawn uniformly from the next
	// NearHours allowed hours instead of the whole window, so the history
	// shows what retrying soon after a failure brings (the logging policy
	// of a real account would rarely try that). Zero keeps every explored
	// retry uniform over the window.
	Near float64
}

// NearHours is the span of near explorations (HistoryOptions.Near).
const NearHours = 24

// decision is one logged retry choice.
type decision struct {
	at         float64 // when it was planned (hours after the failure)
	slot       int
	source     domain.RetrySource
	propensity float64
}

// explorer is the logging policy: the preset's schedule, with a share of
// retries explored uniformly over the allowed hours.
type explorer struct {
	fixed   *simulator.Fixed
	explore float64
	near    float64
	seed    uint64
}

type explorerMemo struct{ decisions map[int]decision }

func (e *explorer) Name() string { return "history" }

// Plan implements simulator.Policy.
func (e *explorer) Plan(o *simulator.Observation) (int, bool) {
	memo, _ := o.Memo.(*explorerMemo)
	if memo == nil {
		memo = &explorerMemo{decisions: map[int]decision{}}
		o.Memo = memo
	}
	def, ok := e.fixed.Plan(o)
	if !ok {
		return 0, false
	}
	first, ok := o.Earliest(o.NextSlot())
	if !ok || first > o.Window() {
		return 0, false
	}
	k := len(o.Attempts)
	r := rand.New(rand.NewPCG(e.seed, o.Inv.Index*1_000_003+uint64(k)*131+uint64(o.Decision)))
	n := o.Window() - first + 1
	nn := min(n, NearHours)
	// prob is the logging policy's propensity of slot s.
	prob := func(s int) float64 {
		p := e.explore * (1 - e.near) / float64(n)
		if s-first < nn {
			p += e.explore * e.near / float64(nn)
		}
		if s == def {
			p += 1 - e.explore
		}
		return p
	}
	d := decision{at: o.Now, slot: def, source: domain.SourceSchedule}
	if e.explore > 0 && r.Float64() < e.explore {
		span := n
		if e.near > 0 && r.Float64() < e.near {
			span = nn
		}
		d = decision{at: o.Now, slot: first + r.IntN(span), source: domain.SourceExplore}
	}
	d.propensity = prob(d.slot)
	memo.decisions[k] = d
	return d.slot, true
}

// Recorded is a history: the ledger and the cases behind it (kept for
// replaying other policies on the very same invoices).
type Recorded struct {
	Ledger *smartretry.Ledger
	Cases  []*simulator.Case
	Budget simulator.Budget
}

// History replays the logging policy over a population and records every
// run as the events the engine and gateway would have written.
func History(ctx context.Context, m *simulator.Model, opt HistoryOptions) (*Recorded, error) {
	retries, window := smartretry.Budget(opt.Preset)
	b := simulator.Budget{Retries: retries, WindowDays: int(window / (24 * time.Hour))}
	fixed, err := simulator.FromPreset("history", opt.Preset, b)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	pol := &capture{inner: &explorer{fixed: fixed, explore: opt.Explore, near: opt.Near, seed: opt.Seed ^ 0x6578706c}}
	rp := &simulator.Replayer{M: m}
	p := &simulator.Population{M: m, Seed: opt.Seed, Pop: opt.Pop}
	rec := &Recorded{Ledger: smartretry.NewLedger(), Budget: b}
	for i := 0; i < opt.Invoices; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		c := p.Case(opt.First + uint64(i))
		pol.reset()
		out := rp.Run(c, pol, b)
		record(rec.Ledger, m, c, b, opt.Preset, pol, out)
		rec.Cases = append(rec.Cases, c)
	}
	rec.Ledger.Done()
	return rec, nil
}

// capture keeps the last observation of a run (its attempts, update and
// reminders) and the logged decisions.
type capture struct {
	inner    *explorer
	attempts []simulator.Attempt
	updated  float64
	memo     *explorerMemo
}

func (c *capture) reset() { c.attempts, c.updated, c.memo = c.attempts[:0], -1, nil }

func (c *capture) Name() string { return c.inner.Name() }

func (c *capture) Plan(o *simulator.Observation) (int, bool) {
	s, ok := c.inner.Plan(o)
	c.attempts = append(c.attempts[:0], o.Attempts...)
	c.updated = o.UpdatedAt
	c.memo, _ = o.Memo.(*explorerMemo)
	return s, ok
}
