package smartretry

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// foldZones include half-hour offsets and daylight-saving changes (Lord
// Howe's by half an hour, which changes the fraction of the hour), which
// the folded tables' hour and day parts must follow.
var foldZones = []string{"America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Adelaide", "America/Sao_Paulo", "Asia/Tokyo", "UTC", "Pacific/Chatham", "Australia/Lord_Howe"}

// randomPlanContext is a failed invoice with one to four attempts at
// arbitrary minutes and seconds (so the last attempt is not a whole number
// of hours after the first), card activity, sometimes a payment-method
// update and reminders, around the dates clocks change.
func randomPlanContext(r *rand.Rand) domain.RetryContext {
	loc, _ := location(foldZones[r.IntN(len(foldZones))])
	bases := []time.Time{time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}
	first := bases[r.IntN(len(bases))].Add(time.Duration(r.IntN(20*24*3600)) * time.Second)
	codes := []string{"insufficient_funds", "do_not_honor", "generic_decline", "processing_error", "try_again_later", "card_velocity_exceeded", "issuer_not_available"}
	c := Case{Amount: int64(100 + r.IntN(100_000)), Network: networks[r.IntN(len(networks))], Funding: fundings[r.IntN(len(fundings))],
		Country: countries[r.IntN(len(countries))], Loc: loc}
	c.CardCountry = countries[r.IntN(len(countries))]
	at := first
	for k := 1 + r.IntN(4); k > 0; k-- {
		c.Attempts = append(c.Attempts, Attempt{At: at, DeclineCode: codes[r.IntN(len(codes))]})
		if r.IntN(2) == 0 {
			at = at.Add(time.Duration(2*3600+r.IntN(3*24*3600)) * time.Second)
		} else {
			at = at.Add(time.Duration(2+r.IntN(72)) * time.Hour)
		}
	}
	c.Decision = c.last().At.Add(time.Duration(r.IntN(5*3600)) * time.Second)
	for k := r.IntN(5); k > 0; k-- {
		c.Activity = append(c.Activity, first.Add(time.Duration(r.IntN(96)-72)*time.Hour))
	}
	sortTimes(c.Activity)
	if r.IntN(4) == 0 {
		c.PMUpdatedAt = first.Add(-time.Duration(r.IntN(500)) * time.Hour)
	}
	c.Reminders = r.IntN(4)
	left := 1 + r.IntN(8)
	window := time.Duration(1+r.IntN(30)) * 24 * time.Hour
	rc := c.Context("in_fold", domain.PresetSpec{}, left, first.Add(window))
	if r.IntN(3) == 0 {
		rc.WindowEnd = time.Time{} // the planner's default window
	}
	return rc
}

// The planner's folded tables must plan exactly as scoring full feature
// rows does (the reference: the generic path of a scorer that hides its
// linearity), on many random contexts and objectives: the same schedule,
// and the same probabilities for it and for every candidate within 1e-9.
func TestFoldedPlannerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 7))
	trials := 300
	if testing.Short() {
		trials = 60
	}
	for trial := 0; trial < trials; trial++ {
		m := randomModel(r)
		scale := []float64{0.1, 0.3, 0.6}[r.IntN(3)]
		for i := range m.W {
			m.W[i] *= scale
		}
		obj := DefaultObjective()
		obj.PerDay = 1 + r.IntN(4)
		obj.MinSpacing = time.Duration(1+r.IntN(24)) * time.Hour
		if r.IntN(2) == 0 {
			obj.ReminderValue = 1e-4 * r.Float64()
			obj.Probes = r.IntN(6)
		}
		fast := &Planner{Scorer: m, Objective: obj, TopContributions: 5}
		slow := &Planner{Scorer: rowScorer{m}, Objective: obj, TopContributions: 5}
		rc := randomPlanContext(r)
		a, err1 := fast.Recommend(context.Background(), rc)
		b, err2 := slow.Recommend(context.Background(), rc)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if a.Plan.Retry != b.Plan.Retry || len(a.Plan.Schedule) != len(b.Plan.Schedule) || len(a.Candidates) != len(b.Candidates) {
			t.Fatalf("trial %d: folded plan %+v (%d candidates), reference %+v (%d candidates)", trial, a.Plan.Schedule, len(a.Candidates), b.Plan.Schedule, len(b.Candidates))
		}
		for i := range a.Plan.Schedule {
			x, y := a.Plan.Schedule[i], b.Plan.Schedule[i]
			if !x.At.Equal(y.At) || math.Abs(x.Probability-y.Probability) > 1e-9 {
				t.Fatalf("trial %d slot %d: folded %v, reference %v", trial, i, x, y)
			}
		}
		for i := range a.Candidates {
			x, y := a.Candidates[i], b.Candidates[i]
			if !x.At.Equal(y.At) || math.Abs(x.Probability-y.Probability) > 1e-9 {
				t.Fatalf("trial %d candidate %d: folded %v, reference %v", trial, i, x, y)
			}
		}
		if a.Plan.Explanation != b.Plan.Explanation {
			t.Fatalf("trial %d: folded explanation %q, reference %q", trial, a.Plan.Explanation, b.Plan.Explanation)
		}
	}
}

// A model whose weights change after planning gets fresh tables.
func TestFoldedTablesFollowWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	m := randomModel(r)
	rc := randomPlanContext(r)
	rc.RetriesLeft = 3
	p := NewPlanner(m, nil)
	if _, err := p.Recommend(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	for i := range m.W {
		m.W[i] = -m.W[i]
	}
	a, err1 := p.Recommend(context.Background(), rc)
	b, err2 := NewPlanner(rowScorer{m}, nil).Recommend(context.Background(), rc)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i := range a.Candidates {
		if math.Abs(a.Candidates[i].Probability-b.Candidates[i].Probability) > 1e-9 {
			t.Fatalf("candidate %d after the weights changed: %v, reference %v", i, a.Candidates[i], b.Candidates[i])
		}
	}
}

// Explain keeps the largest contributions by size, largest first, the
// earlier feature first among equals.
func TestExplainTop(t *testing.T) {
	n := len(lay.names)
	w := make([]float64, n)
	x := make([]float64, n)
	effects := map[int]float64{1: 0.5, 2: -2, 3: 0.1, 4: 2, 5: -0.7, 6: 0.7, 7: 0}
	for i, e := range effects {
		w[i], x[i] = e, 1
	}
	x[8], w[8] = 0, 9 // a zero value contributes nothing
	m := NewLogistic(w, "v")
	for _, tc := range []struct {
		top  int
		want []int
	}{{0, nil}, {1, []int{2}}, {3, []int{2, 4, 5}}, {5, []int{2, 4, 5, 6, 1}}, {9, []int{2, 4, 5, 6, 1, 3}}} {
		got := m.Explain(x, tc.top)
		if len(got) != len(tc.want) {
			t.Fatalf("top %d: %v", tc.top, got)
		}
		for k, i := range tc.want {
			if got[k].Feature != lay.names[i] || got[k].Effect != effects[i] {
				t.Fatalf("top %d: %v, want features %v", tc.top, got, tc.want)
			}
		}
	}
}

// explain writes what fmt would, including signs, NaN and infinities.
func TestExplainMatchesFmt(t *testing.T) {
	loc, _ := location("Asia/Kolkata")
	at := time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)
	p := domain.RetryPlan{At: at, Probability: 0.12345, ModelVersion: "m1",
		Schedule: []domain.PlannedSlot{{At: at, Probability: 0.12345}, {At: at.Add(30 * time.Hour), Probability: 1}},
		Contributions: []domain.Contribution{{Feature: "a", Effect: 0.5}, {Feature: "b", Effect: -0.004}, {Feature: "c", Effect: 0},
			{Feature: "d", Effect: math.Inf(1)}, {Feature: "e", Effect: math.Inf(-1)}, {Feature: "f", Effect: math.NaN()}, {Feature: "g", Effect: -1234.5678}}}
	var b strings.Builder
	fmt.Fprintf(&b, "retry at %s local (P(success)=%.1f%%); ", p.At.In(loc).Format("Mon 2 Jan 15:04"), 100*p.Probability)
	fmt.Fprintf(&b, "%d of %d retries planned:", len(p.Schedule), 3)
	for _, s := range p.Schedule {
		fmt.Fprintf(&b, " %s (%.1f%%)", s.At.In(loc).Format("Mon 2 Jan 15:04"), 100*s.Probability)
	}
	b.WriteString("; main factors:")
	for _, c := range p.Contributions {
		fmt.Fprintf(&b, " %s %+.2f", c.Feature, c.Effect)
	}
	fmt.Fprintf(&b, "; model %s", p.ModelVersion)
	if got := explain(&p, loc, 3); got != b.String() {
		t.Fatalf("explain:\n%s\nfmt:\n%s", got, b.String())
	}
}

// The per-year cache of payday anchors gives what computing them does,
// inside its years and around their edges.
func TestAnchorsOnMatchesAnchorsOf(t *testing.T) {
	for _, y := range []int{1999, 2000, 2026, 2028, 2099, 2100} {
		for d := daysFromCivil(y, 1, 1) - 3; d < daysFromCivil(y+1, 1, 1)+3; d++ {
			yy, mm, dd := civilFromDays(d)
			c := civil{day: d, y: yy, m: mm, d: dd, wd: weekdayOf(d), hour: 13.5}
			if got, want := anchorsOn(c), anchorsOf(c); got != want {
				t.Fatalf("day %d-%02d-%02d: cached %+v, computed %+v", yy, mm, dd, got, want)
			}
		}
	}
}
