package simulator

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/recoupledger/recoup/domain"
)

// Populations of an evaluation: the search trains on one and every policy
// is measured on the other.
const (
	PopTraining = 1
	PopHeldOut  = 2
)

// DefaultBudgets are the budgets of `recoup eval`: the Metrifox default's
// 3 retries within 7 days, and Stripe's recommended 8 within 14 days.
var DefaultBudgets = []Budget{{3, 7}, {8, 14}}

// NamedPreset is a preset to evaluate (e.g. from a preset file).
type NamedPreset struct {
	Name   string
	Preset domain.PresetSpec
}

// NamedPlanner is a planner to evaluate (e.g. the smart policy); New is
// called once per budget.
type NamedPlanner struct {
	Name string
	// Prepare, if set, runs once before any budget with the world and the
	// evaluation's seed, e.g. to learn from a training history drawn from
	// the same world (never from the held-out population).
	Prepare func(ctx context.Context, m *Model, seed uint64) error
	New     func(b Budget) (PlannerFunc, error)
}

// EvalOptions configures Eval.
type EvalOptions struct {
	Seed     uint64
	Invoices int // held-out failed invoices (default 20,000)
	Training int // training failed invoices for the search (default 4,000)
	Budgets  []Budget
	Presets  []NamedPreset
	Planners []NamedPlanner
	// SearchStep is the search's grid in hours (default 3).
	SearchStep int
	Workers    int
	// Progress, if set, is called with invoices done per budget.
	Progress func(budget Budget, done, total int)
}

// EvalReport is the result of an evaluation.
type EvalReport struct {
	World    string         `json:"world"`
	Seed     uint64         `json:"seed"`
	Invoices int            `json:"invoices"`
	Training int            `json:"training"`
	Budgets  []BudgetReport `json:"budgets"`
}

// BudgetReport holds every policy's results at one budget.
type BudgetReport struct {
	Budget   Budget    `json:"budget"`
	Policies []Summary `json:"policies"`
	// Uplift is each policy's share of the oracle's uplift over the evenly
	// spaced schedule, in percent.
	Uplift []Uplift `json:"uplift"`
	// Schedules are the fixed policies' retry hours.
	Schedules map[string][]int `json:"schedules"`

	outcomes map[string][]Outcome
}

// Uplift is one policy's share of the oracle's uplift.
type Uplift struct {
	Policy   string `json:"policy"`
	ByCount  Metric `json:"by_count_pct"`
	ByAmount Metric `json:"by_amount_pct"`
}

// Outcomes returns a policy's per-invoice outcomes (held-out order).
func (r *BudgetReport) Outcomes(policy string) []Outcome { return r.outcomes[policy] }

// Cases draws n cases of a population.
func Cases(m *Model, seed, pop uint64, n int) []*Case {
	p := &Population{M: m, Seed: seed, Pop: pop}
	out := make([]*Case, n)
	for i := range out {
		out[i] = p.Case(uint64(i))
	}
	return out
}

// Eval builds a training and a held-out population, searches a fixed
// schedule on the first and replays every policy on the second, at each
// budget.
func Eval(ctx context.Context, m *Model, opt EvalOptions) (*EvalReport, error) {
	if opt.Invoices <= 0 {
		opt.Invoices = 20000
	}
	if opt.Training <= 0 {
		opt.Training = 4000
	}
	if len(opt.Budgets) == 0 {
		opt.Budgets = DefaultBudgets
	}
	if opt.SearchStep <= 0 {
		opt.SearchStep = 3
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	rep := &EvalReport{World: m.W.Name, Seed: opt.Seed, Invoices: opt.Invoices, Training: opt.Training}
	train := Cases(m, opt.Seed, PopTraining, opt.Training)
	for _, pl := range opt.Planners {
		if pl.Prepare != nil {
			if err := pl.Prepare(ctx, m, opt.Seed); err != nil {
				return nil, fmt.Errorf("eval: planner %s: %w", pl.Name, err)
			}
		}
	}
	for _, b := range opt.Budgets {
		if b.Retries < 1 || b.Hours() > ReplayHorizon {
			return nil, fmt.Errorf("eval: budget %v: need ≥ 1 retry within %d days", b, ReplayHorizon/24)
		}
		br, err := evalBudget(ctx, m, opt, train, b)
		if err != nil {
			return nil, err
		}
		rep.Budgets = append(rep.Budgets, *br)
	}
	return rep, nil
}

func evalBudget(ctx context.Context, m *Model, opt EvalOptions, train []*Case, b Budget) (*BudgetReport, error) {
	search, err := SearchFixed(ctx, m, train, b, opt.SearchStep)
	if err != nil {
		return nil, fmt.Errorf("eval %v: search: %w", b, err)
	}
	even := EvenlySpaced(b)
	def, err := FromPreset("metrifox-default", domain.DefaultPresetSpec(), b)
	if err != nil {
		return nil, err
	}
	policies := []Policy{even, def, StripeLike(b), search}
	for _, p := range opt.Presets {
		if p.Preset.SmartRetries {
			return nil, fmt.Errorf("eval: preset %q is smart; pass a planner instead", p.Name)
		}
		f, err := FromPreset(p.Name, p.Preset, b)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		policies = append(policies, f)
	}
	for _, pl := range opt.Planners {
		fn, err := pl.New(b)
		if err != nil {
			return nil, fmt.Errorf("eval: planner %s: %w", pl.Name, err)
		}
		preset := domain.PresetSpec{Name: pl.Name, RetriesEnabled: true, SmartRetries: true, SmartMaxRetries: b.Retries, SmartWindowDays: b.WindowDays,
			DuringRecovery: domain.DuringPause, AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue}
		policies = append(policies, &Planner{Label: pl.Name, Func: fn, Preset: preset})
	}
	policies = append(policies, &Oracle{M: m})
	cv := &Clairvoyant{M: m}
	names := make([]string, 0, len(policies)+1)
	for _, p := range policies {
		names = append(names, p.Name())
	}
	names = append(names, cv.Name())
	outs := make(map[string][]Outcome, len(names))
	for _, n := range names {
		outs[n] = make([]Outcome, opt.Invoices)
	}
	pop := &Population{M: m, Seed: opt.Seed, Pop: PopHeldOut}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rp := &Replayer{M: m}
			for i := w; i < opt.Invoices; i += opt.Workers {
				if ctx.Err() != nil {
					return
				}
				c := pop.Case(uint64(i))
				for j, p := range policies {
					outs[names[j]][i] = rp.Run(c, p, b)
				}
				outs[cv.Name()][i] = cv.Run(c, b)
				if opt.Progress != nil && i%256 == 0 {
					mu.Lock()
					done += 256
					opt.Progress(b, min(done, opt.Invoices), opt.Invoices)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opt.Progress != nil {
		opt.Progress(b, opt.Invoices, opt.Invoices)
	}
	br := &BudgetReport{Budget: b, outcomes: outs, Schedules: map[string][]int{}}
	for _, n := range names {
		br.Policies = append(br.Policies, Summarize(n, outs[n]))
	}
	for _, p := range policies {
		if f, ok := p.(*Fixed); ok {
			br.Schedules[f.Label] = f.Slots
		}
	}
	fixed, oracle := outs[even.Name()], outs["oracle"]
	for _, n := range names {
		if n == even.Name() || n == "oracle" {
			continue
		}
		br.Uplift = append(br.Uplift, Uplift{n, UpliftShare(outs[n], fixed, oracle, false), UpliftShare(outs[n], fixed, oracle, true)})
	}
	return br, nil
}
