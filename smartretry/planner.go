package smartretry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/domain"
)

var errNoAttempts = errors.New("plan retry: attempts: the context has no failed attempt to plan after")

// Rules returns the earliest time at or after from when the card networks
// allow another attempt, given the ledger's view rc, and the rule that
// binds it; a zero time means never on this card. Network rules only look
// back (caps over trailing windows, waits after a decline, never-retry
// codes), so every time after the earliest is allowed too. The planner
// never proposes a slot before it.
type Rules func(rc *domain.RetryContext, from time.Time) (earliest time.Time, rule string)

// DefaultWindow bounds a plan whose context names no window end.
const DefaultWindow = 14 * 24 * time.Hour

// Planner chooses retry times with a Scorer and the optimizer. It
// implements the dunning engine's RetryPlanner.
type Planner struct {
	Scorer    Scorer
	Objective Objective
	Rules     Rules
	// TopContributions is how many feature contributions a plan explains
	// (default 5).
	TopContributions int
}

// NewPlanner returns a planner with the default objective.
func NewPlanner(sc Scorer, rules Rules) *Planner {
	return &Planner{Scorer: sc, Objective: DefaultObjective(), Rules: rules, TopContributions: 5}
}

// Recommendation is a plan with what went into it, for the CLI and API.
type Recommendation struct {
	Plan       domain.RetryPlan
	Candidates []domain.PlannedSlot // every allowed slot with its P(success) as the next attempt
	Window     [2]time.Time
	Location   *time.Location
}

// PlanRetry implements the engine's RetryPlanner.
func (p *Planner) PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	r, err := p.plan(ctx, rc, false)
	return r.Plan, err
}

// Recommend plans like PlanRetry and also returns every scored candidate.
func (p *Planner) Recommend(ctx context.Context, rc domain.RetryContext) (Recommendation, error) {
	return p.plan(ctx, rc, true)
}

// RecommendSchedule is Recommend without the list of every scored
// candidate (Candidates is nil): for callers that show the schedule only.
func (p *Planner) RecommendSchedule(ctx context.Context, rc domain.RetryContext) (Recommendation, error) {
	return p.plan(ctx, rc, false)
}

// plan scores the grid and optimizes; with candidates it also lists every
// allowed slot with its probability (the engine does not need them).
func (p *Planner) plan(ctx context.Context, rc domain.RetryContext, candidates bool) (Recommendation, error) {
	if err := ctx.Err(); err != nil {
		return Recommendation{}, fmt.Errorf("plan retry: %w", err)
	}
	stop := func(why string) (Recommendation, error) {
		return Recommendation{Plan: domain.RetryPlan{Source: domain.SourceSmart, ModelVersion: p.Scorer.Version(), Explanation: why}}, nil
	}
	if rc.RetriesLeft <= 0 {
		return stop("no retries left in the preset")
	}
	c, err := CaseFromContext(&rc)
	if err != nil {
		return Recommendation{}, err
	}
	last := c.last()
	if last.Succeeded {
		return stop("the last attempt succeeded")
	}
	obj := p.Objective
	start := rc.Now
	if s := last.At.Add(obj.MinSpacing); s.After(start) {
		start = s
	}
	// The grid counts whole hours from the first failure, as schedules do.
	start = ceilFrom(c.first().At, start)
	end := rc.WindowEnd
	if end.IsZero() {
		end = c.first().At.Add(DefaultWindow)
	}
	g := newGrid(&c, p.Scorer, start, end)
	defer g.release()
	rec := Recommendation{Window: [2]time.Time{start, end}, Location: c.Loc}
	reason := "the window has ended"
	earliest, rule := p.earliest(&rc, start)
	if earliest.IsZero() {
		reason = "the card networks forbid retrying this card (" + rule + ")"
	}
	allowed := 0
	if !earliest.IsZero() {
		// Rules only look back, so every slot from the earliest on is allowed.
		from := 0
		if d := earliest.Sub(start); d > 0 {
			from = int((d + time.Hour - 1) / time.Hour)
		}
		for j := from; j < g.n; j++ {
			g.allowed[j] = true
		}
		allowed = max(g.n-from, 0)
		if candidates && allowed > 0 {
			rec.Candidates = make([]domain.PlannedSlot, 0, allowed)
			for j := from; j < g.n; j++ {
				rec.Candidates = append(rec.Candidates, domain.PlannedSlot{At: g.at(j), Probability: g.firstProb(j)})
			}
		}
	}
	if allowed == 0 {
		r, _ := stop("no retry allowed: " + reason)
		r.Candidates, r.Window, r.Location = rec.Candidates, rec.Window, rec.Location
		return r, nil
	}
	sch := solve(g, rc.RetriesLeft, float64(c.Amount), obj)
	if pr, ok := probe(g, &c, rc.RetriesLeft, float64(c.Amount), obj, sch); ok {
		sch = pr
	}
	if len(sch.slots) == 0 {
		r, _ := stop("no slot's expected recovery covers the attempt cost")
		r.Candidates, r.Window, r.Location = rec.Candidates, rec.Window, rec.Location
		return r, nil
	}
	plan := domain.RetryPlan{
		Retry:        true,
		At:           g.at(sch.slots[0]),
		Source:       domain.SourceSmart,
		Probability:  sch.probs[0],
		ModelVersion: p.Scorer.Version(),
		Propensity:   1,
	}
	plan.Schedule = make([]domain.PlannedSlot, 0, len(sch.slots))
	for i, j := range sch.slots {
		plan.Schedule = append(plan.Schedule, domain.PlannedSlot{At: g.at(j), Probability: sch.probs[i]})
	}
	g.row = resize(g.row, len(lay.names)) // Explain copies what it keeps
	row := g.row
	g.rowAt(-1, sch.slots[0], g.nDone+1, row)
	top := p.TopContributions
	if top <= 0 {
		top = 5
	}
	plan.Contributions = p.Scorer.Explain(row, top)
	plan.Explanation = explain(&plan, c.Loc, rc.RetriesLeft)
	rec.Plan = plan
	return rec, nil
}

func (p *Planner) earliest(rc *domain.RetryContext, from time.Time) (time.Time, string) {
	if p.Rules != nil {
		return p.Rules(rc, from)
	}
	return NetworkRules(rc, from)
}

// ceilFrom is the first time origin + n hours (n ≥ 0) at or after t.
func ceilFrom(origin, t time.Time) time.Time {
	if !t.After(origin) {
		return origin
	}
	n := (t.Sub(origin) + time.Hour - 1) / time.Hour
	return origin.Add(n * time.Hour)
}

func explain(p *domain.RetryPlan, loc *time.Location, left int) string {
	// A typical explanation is 300-400 bytes.
	return string(appendExplain(make([]byte, 0, 512), p, loc, left))
}

// localLayout is how explanations name a local time.
const localLayout = "Mon 2 Jan 15:04"

// appendExplain appends the explanation of p to b.
func appendExplain(b []byte, p *domain.RetryPlan, loc *time.Location, left int) []byte {
	// Appends rather than fmt: this runs for every recommendation served.
	b = append(b, "retry at "...)
	b = p.At.In(loc).AppendFormat(b, localLayout)
	b = append(b, " local (P(success)="...)
	b = strconv.AppendFloat(b, 100*p.Probability, 'f', 1, 64)
	b = append(b, "%); "...)
	b = strconv.AppendInt(b, int64(len(p.Schedule)), 10)
	b = append(b, " of "...)
	b = strconv.AppendInt(b, int64(left), 10)
	b = append(b, " retries planned:"...)
	for _, s := range p.Schedule {
		b = append(b, ' ')
		b = s.At.In(loc).AppendFormat(b, localLayout)
		b = append(b, " ("...)
		b = strconv.AppendFloat(b, 100*s.Probability, 'f', 1, 64)
		b = append(b, "%)"...)
	}
	if len(p.Contributions) > 0 {
		b = append(b, "; main factors:"...)
		for _, c := range p.Contributions {
			b = append(b, ' ')
			b = append(b, c.Feature...)
			b = append(b, ' ')
			n := len(b)
			b = strconv.AppendFloat(b, c.Effect, 'f', 2, 64)
			if b[n] != '-' && b[n] != '+' { // fmt's %+.2f
				b = append(b, 0)
				copy(b[n+1:], b[n:])
				b[n] = '+'
			}
		}
	}
	b = append(b, "; model "...)
	return append(b, p.ModelVersion...)
}
