package smartretry

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// payWorld is a test world of funds shortfalls written with the time
// package alone: half the customers are paid on the first business day of
// the month, half on the last, at depositHour local time.
const depositHour = 6

func firstBD(y int, m time.Month, loc *time.Location) time.Time {
	d := time.Date(y, m, 1, depositHour, 0, 0, 0, loc)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func lastBD(y int, m time.Month, loc *time.Location) time.Time {
	d := time.Date(y, m+1, 0, depositHour, 0, 0, 0, loc)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// latestPay is the latest deposit at or before t of the schedule.
func latestPay(t time.Time, last bool, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, m := lt.Year(), lt.Month()
	for i := 0; i < 3; i++ {
		d := firstBD(y, m, loc)
		if last {
			d = lastBD(y, m, loc)
		}
		if !d.After(t) {
			return d
		}
		if m--; m < time.January {
			y, m = y-1, time.December
		}
	}
	return time.Time{}
}

func payApproval(t, prev time.Time, last bool, loc *time.Location) float64 {
	d := latestPay(t, last, loc)
	if !d.After(prev) {
		return 0.005
	}
	return 0.02 + 0.7*math.Exp(-t.Sub(d).Hours()/36)
}

func paySequences(r *rand.Rand, n int, loc *time.Location) []MixtureSequence {
	cat, _ := categoryOf("insufficient_funds")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	var out []MixtureSequence
	for i := 0; i < n; i++ {
		last := i%2 == 1
		first := base.Add(time.Duration(r.IntN(180*24)) * time.Hour)
		s := MixtureSequence{Category: string(cat), Funding: string(domain.Debit), Country: "US", Loc: loc, First: first}
		prev := first
		end := first.Add(14 * 24 * time.Hour)
		for k := 0; k < 4 && prev.Before(end.Add(-time.Hour)); k++ {
			t := prev.Add(time.Duration(1+r.IntN(int(end.Sub(prev).Hours()))) * time.Hour)
			if t.After(end) {
				break
			}
			s.Retries = append(s.Retries, t)
			if r.Float64() < payApproval(t, prev, last, loc) {
				s.Success = true
				break
			}
			prev = t
		}
		out = append(out, s)
	}
	return out
}

// EM finds the deposit hour and the two pay schedules; the planner then
// spends a two-retry budget on the two candidate paydays, soon after each
// deposit, rather than twice on one of them.
func TestMixtureLearnsPaydaysAndSpreadsRetries(t *testing.T) {
	m, loc := fitNewYork(t, paySequences, 5, 6, 6000, MixtureOptions{Iterations: 40, DepositHours: []int{0, 3, 6, 9}})
	if m.DepositHour != depositHour {
		t.Errorf("deposit hour %d, want %d", m.DepositHour, depositHour)
	}
	cat, _ := categoryOf("insufficient_funds")
	pr := m.prior(string(cat), string(domain.Debit), "US")
	// The funds classes hold most of the mass, and of theirs nearly all
	// goes to the schedules of this world (15th+last shares the last
	// business day's deposits).
	var funds float64
	for k := 0; k < numSched; k++ {
		funds += pr[k]
	}
	right := pr[schedFirst] + pr[schedLastBD] + pr[schedSemimonthly]
	if funds < 0.7 || right/funds < 0.95 {
		t.Errorf("prior mass on funds classes %.2f (want ≥ 0.7), of which on the 1st, the last business day and 15th+last %.2f (want ≥ 0.95); prior %v", funds, right/funds, pr)
	}
	if pr[schedFirst] < 0.25 || pr[schedLastBD]+pr[schedSemimonthly] < 0.25 {
		t.Errorf("both schedules should keep mass: 1st %.2f, last business day %.2f, 15th+last %.2f", pr[schedFirst], pr[schedLastBD], pr[schedSemimonthly])
	}

	// Failed Monday 20 July 2026, 10:00; July's last business day is
	// Friday the 31st, August's first is Monday the 3rd.
	failed := time.Date(2026, 7, 20, 10, 0, 0, 0, loc)
	rc := fundsFailure(failed, 2)
	anyTime := func(_ *domain.RetryContext, from time.Time) (time.Time, string) { return from, "" }
	p := NewMixturePlanner(m, nil, anyTime)
	p.Objective.AttemptCost = 0
	plan, err := p.PlanRetry(context.Background(), rc)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Schedule) != 2 {
		t.Fatalf("schedule %v, want two retries", plan.Schedule)
	}
	t.Logf("plan: %s", plan.Explanation)
	days := map[int]bool{}
	for _, s := range plan.Schedule {
		lt := s.At.In(loc)
		days[lt.Day()] = true
		if lt.Hour() < depositHour || lt.Hour() > depositHour+6 {
			t.Errorf("retry at %v: want within six hours after the %d:00 deposit", lt, depositHour)
		}
	}
	if !days[31] || !days[3] {
		t.Errorf("schedule %v: want one retry on 31 July and one on 3 August", plan.Schedule)
	}
	if plan.ModelVersion != m.Version() || plan.Probability <= 0 {
		t.Errorf("plan %+v: want the model version and a probability", plan)
	}

	// After the first retry fails on the 31st, the posterior moves to the
	// 1st-of-month class and the next retry goes to 3 August.
	at := plan.Schedule[0].At
	if at.In(loc).Day() != 31 {
		at = time.Date(2026, 7, 31, depositHour+1, 0, 0, 0, loc)
	}
	c, _ := CaseFromContext(&rc)
	c.Attempts = append(c.Attempts, Attempt{At: at, DeclineCode: "insufficient_funds"})
	post := p.Posterior(&c)
	before := p.M.prior(string(cat), string(domain.Debit), "US")
	if post[schedFirst] <= before[schedFirst] || post[schedLastBD] >= before[schedLastBD] {
		t.Errorf("after a failure just after the last business day's deposit: 1st %.2f→%.2f, last business day %.2f→%.2f", before[schedFirst], post[schedFirst], before[schedLastBD], post[schedLastBD])
	}
}

func TestFitMixtureRefusesEmptyLedger(t *testing.T) {
	if _, err := FitMixture(context.Background(), nil, MixtureOptions{}); err == nil {
		t.Fatal("want an error for no sequences")
	}
}

// BenchmarkMixturePlan plans an eight-retry budget over a 14-day hourly
// grid with the latent-class planner.
func BenchmarkMixturePlan(b *testing.B) {
	m, loc := fitNewYork(b, paySequences, 5, 6, 2000, MixtureOptions{Iterations: 10, DepositHours: []int{6}})
	failed := time.Date(2026, 7, 20, 10, 0, 0, 0, loc)
	rc := fundsFailure(failed, 8)
	p := NewMixturePlanner(m, nil, nil)
	p.Objective.AttemptCost = 0
	p.Objective.ReminderValue = 0.001
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.PlanRetry(ctx, rc); err != nil {
			b.Fatal(err)
		}
	}
}

// The held-out score of a well-specified mixture is calibrated.
func TestMixtureHeldOutCalibration(t *testing.T) {
	m, _ := fitNewYork(t, paySequences, 7, 8, 5000, MixtureOptions{Iterations: 30, DepositHours: []int{3, 6}, HoldOut: 5})
	if m.Test.Rows < 1000 || m.Test.AUC < 0.7 || m.Test.MaxGap > 0.03 {
		t.Errorf("held-out metrics %+v: want ≥ 1000 rows, AUC ≥ 0.7 and calibration within 3 points", m.Test)
	}
}

// The grid walk describes every hour as describing it alone does.
func TestMixtureGridMatchesPoints(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Asia/Kolkata", "Europe/London"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skip("no time zone data")
		}
		first := time.Date(2026, 3, 20, 9, 17, 0, 0, loc) // spans a DST change
		start := first.Add(5 * time.Hour)
		dep := payDeposits(loc, first, start.Add(15*24*time.Hour), 4)
		pts := make([]point, 15*24)
		dep.grid(pts, start, first, 3)
		for j := 3; j < len(pts); j++ {
			want := dep.at(start.Add(time.Duration(j)*time.Hour), first)
			if pts[j].idx != want.idx || pts[j].fcell != want.fcell || pts[j].band != want.band || pts[j].on != want.on || pts[j].block != want.block || pts[j].unix != want.unix || math.Abs(pts[j].h-want.h) > 1e-9 {
				t.Fatalf("%s slot %d: grid %+v, alone %+v", zone, j, pts[j], want)
			}
		}
	}
}

// The grid's points are the points worked out one by one when grid
// points fall exactly on a change of the clocks: first failures on the
// hour (and on the half hour for Lord Howe's half-hour change), a few
// hours before each change of 2026 in every workload zone and Lord Howe
// (local midnights where the clocks do not change: Kathmandu, Tokyo, São
// Paulo), the grid starting from 0 or later.
func TestMixtureGridMatchesPointsOnClockChanges(t *testing.T) {
	zones := append([]string{"Australia/Lord_Howe", "Asia/Kathmandu"}, workloadZones...)
	for _, zone := range zones {
		loc, ok := location(zone)
		if !ok {
			t.Skip("no time zone data")
		}
		// The changes of 2026, found hour by hour (then minute by minute).
		var changes []time.Time
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		_, off := at.In(loc).Zone()
		for ; at.Year() == 2026; at = at.Add(time.Hour) {
			if _, o := at.Add(time.Hour).In(loc).Zone(); o != off {
				ch := at
				for _, o2 := ch.In(loc).Zone(); o2 == off; _, o2 = ch.In(loc).Zone() {
					ch = ch.Add(time.Minute)
				}
				changes, off = append(changes, ch), o
			}
		}
		switch len(changes) {
		case 0: // no change (Kathmandu, Tokyo, São Paulo): local midnights
			changes = []time.Time{time.Date(2026, 3, 8, 0, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 0, 0, 0, loc)}
		case 2:
		default:
			t.Fatalf("%s: %d changes of the clocks in 2026, want 0 or 2", zone, len(changes))
		}
		for _, ch := range changes {
			for before := 0; before <= 4; before++ {
				for _, from := range []int{0, 2} {
					first := ch.Add(-time.Duration(before) * time.Hour)
					start := first.Add(time.Hour)
					dep := payDeposits(loc, first, start.Add(48*time.Hour), 4)
					pts := make([]point, 48)
					dep.grid(pts, start, first, from)
					for j := from; j < len(pts); j++ {
						want := dep.at(start.Add(time.Duration(j)*time.Hour), first)
						if pts[j].idx != want.idx || pts[j].fcell != want.fcell || pts[j].band != want.band || pts[j].on != want.on || pts[j].block != want.block || pts[j].unix != want.unix || math.Abs(pts[j].h-want.h) > 1e-9 {
							t.Fatalf("%s, first failure %v, from %d: slot %d (%v): grid band %d, alone %d; grid %+v, alone %+v",
								zone, first.In(loc), from, j, time.Unix(pts[j].unix, 0).UTC(), pts[j].band, want.band, pts[j], want)
						}
					}
				}
			}
		}
	}
}

// The planner's folded survivals are the hazard table's complements.
func TestMixtureSurvivalsMatchCells(t *testing.T) {
	m := &Mixture{Hazard: make([]float64, numCells)}
	for c := range m.Hazard {
		m.Hazard[c] = float64(c+1) / float64(numCells+2)
	}
	loc, _ := location("Europe/Berlin")
	first := time.Date(2026, 5, 27, 13, 0, 0, 0, loc)
	dep := payDeposits(loc, first, first.Add(15*24*time.Hour), 2)
	pts := make([]point, 14*24)
	dep.grid(pts, first.Add(time.Hour), first, 0)
	r := rand.New(rand.NewPCG(1, 2))
	f := newMixFold(m)
	for trial := 0; trial < 2000; trial++ {
		i, j := r.IntN(len(pts)), r.IntN(len(pts))
		if i > j {
			i, j = j, i
		}
		for k := 0; k < NumStates; k++ {
			if got, want := f.of(k, &pts[i], &pts[j]), 1-m.Hazard[cell(k, &pts[i], &pts[j])]; got != want {
				t.Fatalf("state %d, slots %d→%d: %g, want %g", k, i, j, got, want)
			}
		}
	}
}

// fitNewYork fits a mixture on n sequences that gen draws in New York
// time from the stream (s1, s2); without time zone data the test skips.
func fitNewYork(tb testing.TB, gen func(*rand.Rand, int, *time.Location) []MixtureSequence, s1, s2 uint64, n int, opt MixtureOptions) (*Mixture, *time.Location) {
	tb.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		tb.Skip("no time zone data")
	}
	m, err := FitMixture(context.Background(), gen(rand.New(rand.NewPCG(s1, s2)), n, loc), opt)
	if err != nil {
		tb.Fatal(err)
	}
	return m, loc
}

// fundsFailure is a US Visa debit invoice of $50 whose first attempt
// failed for insufficient funds at failed, with retries left over a
// 14-day window.
func fundsFailure(failed time.Time, retries int) domain.RetryContext {
	loc := failed.Location()
	return domain.RetryContext{
		Now: failed, InvoiceID: "in_1", Amount: 5000, Currency: "usd", CustomerCountry: "US", CustomerTimeZone: loc.String(),
		Network: domain.Visa, Funding: domain.Debit, RetriesLeft: retries, WindowEnd: failed.Add(14 * 24 * time.Hour),
		Attempts: []domain.PaymentAttempted{{Base: domain.Base{OccurredAt: failed}, InvoiceID: "in_1", AttemptNumber: 1, Amount: 5000,
			Outcome: domain.Failed, DeclineCode: "insufficient_funds", Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorInitial}},
	}
}
