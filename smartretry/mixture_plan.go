package smartretry

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// MixturePlanner plans retries with the latent-class model. It implements
// the engine's RetryPlanner. An invoice whose card was updated since its
// first failure is another process; Fallback (the logistic planner)
// plans it. It is safe for concurrent use; M must not be changed once
// planned with.
type MixturePlanner struct {
	M         *Mixture
	Fallback  *Planner
	Objective Objective
	Rules     Rules

	rhos  atomic.Pointer[rhoTable]
	folds atomic.Pointer[mixFold]
}

// fold returns the model's folded tables (mixture_fold.go), built on the
// first plan with a model and kept while M stays the same.
func (p *MixturePlanner) fold() *mixFold {
	if f := p.folds.Load(); f != nil && f.m == p.M {
		return f
	}
	f := newMixFold(p.M)
	p.folds.Store(f)
	return f
}

// rhoTable holds exp(−rv·d) for whole hours d, the share of what later
// retries leave that the customer does not pay after a reminder d hours
// before the window's end (Objective.ReminderValue): computed once per
// planner rather than once per slot of every plan.
type rhoTable struct {
	rv  float64
	exp []float64
}

// rho returns exp(−rv·d) for d = 0 … n−1 at least.
func (p *MixturePlanner) rho(rv float64, n int) []float64 {
	if t := p.rhos.Load(); t != nil && t.rv == rv && len(t.exp) >= n {
		return t.exp
	}
	t := &rhoTable{rv: rv, exp: make([]float64, max(n, int(DefaultWindow/time.Hour)+1))}
	for d := range t.exp {
		t.exp[d] = math.Exp(-rv * float64(d))
	}
	p.rhos.Store(t)
	return t.exp
}

// NewMixturePlanner returns a planner over m with the default objective.
// Its tables are folded from m here, so no request pays for them. A
// mixture whose tables do not fit this build's layout (checkMixture, as
// Load checks a file's) makes every plan and recommendation fail with
// that error, naming the field, and Posterior return nil; Err reports it.
// Err is checkMixture's answer for the planner's mixture: nil when its
// tables fit this build's layout and their ranges.
func (p *MixturePlanner) Err() error {
	if p.M == nil {
		return fmt.Errorf("%w: mixture: missing", ErrModelFile)
	}
	return p.fold().err
}

func NewMixturePlanner(m *Mixture, fallback *Planner, rules Rules) *MixturePlanner {
	p := &MixturePlanner{M: m, Fallback: fallback, Objective: DefaultObjective(), Rules: rules}
	if m != nil {
		p.fold()
	}
	return p
}

// mixScratch is one plan's working memory. Scratches are pooled: a plan
// over a 14-day grid needs tens of kilobytes of per-slot state, which
// would otherwise cost the server more in garbage collection than the
// search itself.
type mixScratch struct {
	rc   domain.RetryContext // the plan's request
	att  []Attempt           // its Case's attempts
	last point               // the point of its last attempt
	dep  deposits
	pts  []point
	post []float64
	act  actSum
	w    []float64
	cs   []domain.Contribution
	buf  []byte    // an explanation being written
	hz   []float64 // hazard vectors (hazardsAt): each planned slot's, then one more
	s    search
}

var mixScratchPool = sync.Pool{New: func() any { return new(mixScratch) }}

func (sc *mixScratch) release() {
	sc.rc = domain.RetryContext{}
	clear(sc.att[:cap(sc.att)]) // their codes
	sc.dep.loc = nil
	sc.s.f, sc.s.last, sc.s.pts, sc.s.post = nil, nil, nil, nil
	mixScratchPool.Put(sc)
}

// classFeatures name the classes in a plan's contributions.
var classFeatures = func() [NumClasses]string {
	var f [NumClasses]string
	for k := range f {
		f[k] = "class " + ClassName(k)
	}
	return f
}()

// Posterior is the class posterior of an invoice after its failed
// attempts so far (the invoice's card not updated since); nil when the
// mixture does not fit this build's layout (Err).
func (p *MixturePlanner) Posterior(c *Case) []float64 {
	first := c.first()
	end := c.last().At
	if c.Decision.After(end) {
		end = c.Decision // the activity seen up to the decision counts
	}
	if p.Err() != nil {
		return nil
	}
	f := p.fold()
	dep := payDeposits(c.Loc, first.At, end, p.M.DepositHour)
	post, _ := p.posterior(nil, c, dep, f, newActSum())
	var cls [NumClasses]float64
	classPosterior(&cls, post)
	return cls[:]
}

// posterior writes the state posterior (NumStates) into post (resized)
// and returns it with the point of the last attempt; f is p's fold, a a
// summary scratch for the card's activity.
func (p *MixturePlanner) posterior(post []float64, c *Case, dep *deposits, f *mixFold, a actSum) ([]float64, point) {
	first := c.first()
	cat, _ := categoryOf(first.DeclineCode)
	post = p.M.statePrior(post, p.M.prior(string(cat), string(c.Funding), c.Country))
	prev := dep.at(first.At, first.At)
	for _, a := range c.Attempts[1:] {
		cur := dep.at(a.At, first.At)
		var hz [NumStates]float64
		p.M.hazardsAt(hz[:], &prev, &cur)
		for k := range post {
			post[k] *= 1 - hz[k]
		}
		prev = cur
	}
	if p.M.Activity != nil {
		end := c.last().At
		if c.Decision.After(end) {
			end = c.Decision
		}
		f.weighActivity(post, dep, first.At, end, c.Activity, a)
	}
	var z float64
	for _, v := range post {
		z += v
	}
	for k := range post {
		post[k] /= z
	}
	return post, prev
}

// PlanRetry implements the engine's RetryPlanner.
func (p *MixturePlanner) PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	if p.fallbackFor(&rc) {
		return p.Fallback.PlanRetry(ctx, rc)
	}
	return p.plan(ctx, rc, nil, false)
}

// fallbackFor reports whether Fallback plans rc: the card was updated
// since the first failure. PlanRetry and recommend both ask it first,
// before any reason to stop (no retries left, the last attempt
// succeeded), so that the engine and the API answer one context with the
// same planner, and name the same model version.
func (p *MixturePlanner) fallbackFor(rc *domain.RetryContext) bool {
	return p.Fallback != nil && cardUpdatedSinceFirst(rc)
}

// plan plans a retry with the mixture (the caller has sent an invoice
// whose card was updated to the fallback: fallbackFor). With rec (a
// recommendation) it also sets rec's window and location, and
// explains the plan as explainPlan does instead of PlanRetry's way; with
// candidates it scores every allowed slot as the next attempt into
// rec.Candidates. Both reuse the plan's grid and posterior.
func (p *MixturePlanner) plan(ctx context.Context, rc domain.RetryContext, rec *Recommendation, candidates bool) (domain.RetryPlan, error) {
	if err := ctx.Err(); err != nil {
		return domain.RetryPlan{}, fmt.Errorf("plan retry: %w", err)
	}
	if err := p.Err(); err != nil {
		return domain.RetryPlan{}, fmt.Errorf("plan retry: %w", err)
	}
	stop := func(why string) (domain.RetryPlan, error) {
		return domain.RetryPlan{Source: domain.SourceSmart, ModelVersion: p.M.Version(), Explanation: why}, nil
	}
	if rc.RetriesLeft <= 0 {
		return stop("no retries left in the preset")
	}
	sc := mixScratchPool.Get().(*mixScratch)
	defer sc.release()
	// The rules are a function value: a pointer to rc passed to one
	// would move rc to the heap on every plan; the scratch's copy is
	// pooled.
	sc.rc = rc
	c, err := caseFromContext(&sc.rc, sc.att)
	if err != nil {
		return domain.RetryPlan{}, err
	}
	sc.att = c.Attempts
	if c.last().Succeeded {
		return stop("the last attempt succeeded")
	}
	first := c.first()
	obj := p.Objective
	start := rc.Now
	if s := c.last().At.Add(obj.MinSpacing); s.After(start) {
		start = s
	}
	start = ceilFrom(first.At, start)
	end := rc.WindowEnd
	if end.IsZero() {
		end = first.At.Add(DefaultWindow)
	}
	if rec != nil {
		rec.Window, rec.Location = [2]time.Time{start, end}, c.Loc
	}
	if end.Before(start) {
		return stop("the window has ended")
	}
	n := int(end.Sub(start)/time.Hour) + 1
	rules := p.Rules
	if rules == nil {
		rules = NetworkRules
	}
	earliest, rule := rules(&sc.rc, start)
	if earliest.IsZero() {
		return stop("no retry allowed: the card networks forbid retrying this card (" + rule + ")")
	}
	from := 0
	if d := earliest.Sub(start); d > 0 {
		from = int((d + time.Hour - 1) / time.Hour)
	}
	if from >= n {
		return stop("no retry allowed: the window has ended")
	}
	dep := &sc.dep
	dep.fill(c.Loc, first.At, end, p.M.DepositHour)
	f := p.fold()
	if sc.act.n == nil {
		sc.act = newActSum()
	}
	// The last attempt's point in the scratch: the search keeps a pointer
	// to it, which would move a local to the heap on every plan.
	post, lastPt := p.posterior(sc.post, &c, dep, f, sc.act)
	sc.post, sc.last = post, lastPt
	last := &sc.last
	sc.pts = resize(sc.pts, n)
	pts := sc.pts
	dep.grid(pts, start, first.At, from)
	if rec != nil && candidates {
		rec.Candidates = make([]domain.PlannedSlot, 0, n-from)
		sc.hz = resize(sc.hz, NumStates)
		hz := sc.hz
		for j := from; j < n; j++ {
			var pr float64
			p.M.hazardsAt(hz, last, &pts[j])
			for k, w := range post {
				pr += w * hz[k]
			}
			rec.Candidates = append(rec.Candidates, domain.PlannedSlot{At: start.Add(time.Duration(j) * time.Hour), Probability: pr})
		}
	}
	var rho []float64
	if obj.ReminderValue != 0 {
		rho = p.rho(obj.ReminderValue, n)
	}
	slots := sc.s.choose(f, post, last, pts, from, rc.RetriesLeft, float64(c.Amount), obj, rho)
	if len(slots) == 0 {
		return stop("no slot's expected recovery covers the attempt cost")
	}
	plan := domain.RetryPlan{Retry: true, Source: domain.SourceSmart, ModelVersion: p.M.Version(), Propensity: 1}
	plan.Schedule = make([]domain.PlannedSlot, 0, len(slots))
	sc.w = append(sc.w[:0], post...)
	w := sc.w
	sc.cs = resize(sc.cs, NumClasses)
	cs := sc.cs
	var cls [NumClasses]float64
	classPosterior(&cls, post)
	for k := range cs {
		cs[k] = domain.Contribution{Feature: classFeatures[k], Value: cls[k]}
	}
	// Each slot's hazards (hazardsAt), kept for the explanation.
	sc.hz = resize(sc.hz, (len(slots)+1)*NumStates)
	prev := last
	for i, j := range slots {
		var pj, z float64
		hz := sc.hz[i*NumStates : (i+1)*NumStates]
		p.M.hazardsAt(hz, prev, &pts[j])
		for k, h := range hz {
			pj += w[k] * h
			z += w[k]
			w[k] *= 1 - h
		}
		if i == 0 {
			for k, h := range hz {
				cs[stateClasses[k]].Effect += post[k] * h
			}
		}
		plan.Schedule = append(plan.Schedule, domain.PlannedSlot{At: start.Add(time.Duration(j) * time.Hour), Probability: pj / z})
		prev = &pts[j]
	}
	plan.At, plan.Probability = plan.Schedule[0].At, plan.Schedule[0].Probability
	if rec != nil {
		sc.buf = p.explainPlan(&plan, &c, dep, post, last, pts, slots, from, rc.RetriesLeft, sc.buf[:0], sc.hz)
		return plan, nil
	}
	plan.Contributions = topContributions(cs, 5)
	sc.buf = classList(appendExplain(sc.buf[:0], &plan, c.Loc, rc.RetriesLeft), &plan)
	plan.Explanation = string(sc.buf)
	return plan, nil
}

// cardUpdatedSinceFirst reports what CaseFromContext's Case would: a
// credential update after the first attempt, known at rc.Now.
func cardUpdatedSinceFirst(rc *domain.RetryContext) bool {
	u := rc.PaymentMethodUpdatedAt
	return len(rc.Attempts) > 0 && u != nil && !u.After(rc.Now) && u.After(rc.Attempts[0].OccurredAt)
}

// topContributions returns a copy of the top of cs by value, ties in the
// order of cs (cs is sorted in place: insertion sort, stable, on a dozen
// classes).
func topContributions(cs []domain.Contribution, top int) []domain.Contribution {
	for i := 1; i < len(cs); i++ {
		for k := i; k > 0 && cs[k].Value > cs[k-1].Value; k-- {
			cs[k], cs[k-1] = cs[k-1], cs[k]
		}
	}
	return append([]domain.Contribution(nil), cs[:min(len(cs), top)]...)
}

// classList appends the plan's classes and their posteriors to an
// explanation.
func classList(b []byte, p *domain.RetryPlan) []byte {
	b = append(b, "; latent classes:"...)
	for _, c := range p.Contributions {
		b = append(b, ' ')
		b = append(b, c.Feature[len("class "):]...)
		b = append(b, '=')
		b = strconv.AppendFloat(b, c.Value, 'f', 2, 64)
	}
	return b
}

// fundsSame reports whether every funds class sees an attempt at p as
// one at q, slots of one grid (same deposits before it, same age
// buckets).
func (p *point) fundsSame(q *point) bool {
	return p.dver == q.dver && p.fcell == q.fcell
}
