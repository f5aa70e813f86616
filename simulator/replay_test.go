package simulator

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

func smallEval(t *testing.T, m *Model, seed uint64, workers, n int, budgets ...Budget) *EvalReport {
	t.Helper()
	rep, err := Eval(context.Background(), m, EvalOptions{Seed: seed, Invoices: n, Training: 300, SearchStep: 24, Workers: workers, Budgets: budgets})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestEvalDeterministic(t *testing.T) {
	m := defaultWorld(t, "b2c_us")
	b37 := Budget{3, 7}
	a, _ := json.Marshal(smallEval(t, m, 11, 1, 300, b37))
	b, _ := json.Marshal(smallEval(t, m, 11, 2, 300, b37))
	if string(a) != string(b) {
		t.Fatal("same seed, different worker counts: reports differ")
	}
	c, _ := json.Marshal(smallEval(t, m, 12, 2, 300, b37))
	if string(a) == string(c) {
		t.Fatal("different seeds gave identical reports")
	}
}

// TestBounds checks, on both default worlds and both budgets, that no
// policy recovers an invoice the clairvoyant bound does not, that none
// beats the Bayes oracle beyond sampling noise (paired, same draws), and
// that no policy breaks a network rule.
func TestBounds(t *testing.T) {
	for _, name := range []string{"b2c_us", "b2b_global"} {
		m := defaultWorld(t, name)
		rep := smallEval(t, m, 21, 0, 1200)
		for _, br := range rep.Budgets {
			cv := br.Outcomes("clairvoyant")
			or := br.Outcomes("oracle")
			for _, s := range br.Policies {
				outs := br.Outcomes(s.Policy)
				for i, o := range outs {
					if o.Recovered && !cv[i].Recovered {
						t.Errorf("%s %v %s: invoice %d recovered but not by the clairvoyant bound", name, br.Budget, s.Policy, i)
					}
					if o.Retries > br.Budget.Retries {
						t.Errorf("%s %v %s: invoice %d used %d retries", name, br.Budget, s.Policy, i, o.Retries)
					}
					if o.Recovered && o.At > float64(br.Budget.Hours()) {
						t.Errorf("%s %v %s: invoice %d recovered after the window", name, br.Budget, s.Policy, i)
					}
				}
				if s.Violations.Value != 0 {
					t.Errorf("%s %v %s: %v network-rule violations", name, br.Budget, s.Policy, s.Violations.Value)
				}
				if s.Policy == "oracle" || s.Policy == "clairvoyant" {
					continue
				}
				d, se := PairedDiff(outs, or)
				if d > 3*se+0.1 {
					t.Errorf("%s %v: %s beats the oracle by %.2f pp (se %.2f)", name, br.Budget, s.Policy, d, se)
				}
			}
			// The world must leave room: the oracle beats the evenly
			// spaced schedule clearly.
			if d, se := PairedDiff(or, br.Outcomes("fixed-even")); d < 3*se {
				t.Errorf("%s %v: oracle − fixed-even = %.2f pp (se %.2f): no room for a policy", name, br.Budget, d, se)
			}
		}
	}
}

// TestPlannerHook runs a RetryPlanner-shaped function that retries daily
// at the failure's hour and checks it matches the equivalent fixed
// schedule invoice by invoice: the RetryContext plumbing loses nothing.
func TestPlannerHook(t *testing.T) {
	m := defaultWorld(t, "b2b_global")
	b := Budget{3, 7}
	planner := &Planner{Label: "daily", Func: func(ctx domain.RetryContext) (domain.RetryPlan, error) {
		if ctx.RetriesLeft <= 0 || len(ctx.Attempts) == 0 {
			return domain.RetryPlan{}, nil
		}
		first := ctx.Attempts[0].OccurredAt
		at := first.Add(time.Duration(24*len(ctx.Attempts)) * time.Hour)
		if at.Before(ctx.Now) {
			at = ctx.Now.Truncate(time.Hour).Add(time.Hour)
		}
		// Obey the network rules on the card as the ledger knows it: a
		// new number restarts eligibility.
		card := domain.CardHistory{Network: ctx.Network}
		for _, a := range ctx.Attempts {
			if ctx.PaymentMethodUpdatedAt == nil || a.OccurredAt.After(*ctx.PaymentMethodUpdatedAt) {
				card.Add(domain.CardAttemptOf(a))
			}
		}
		e, _ := domain.EarliestRetry(card, at)
		if e.IsZero() || e.After(ctx.WindowEnd) {
			return domain.RetryPlan{}, nil
		}
		if e.After(at) {
			at = e.Add(time.Hour - time.Nanosecond).Truncate(time.Hour)
		}
		if at.After(ctx.WindowEnd) {
			return domain.RetryPlan{}, nil
		}
		return domain.RetryPlan{Retry: true, At: at}, nil
	}}
	fixed := &Fixed{Label: "daily-fixed", Slots: []int{24, 48, 72}}
	rp := &Replayer{M: m}
	p := &Population{M: m, Seed: 4, Pop: PopHeldOut}
	for i := range 2000 {
		c := p.Case(uint64(i))
		a := rp.Run(c, planner, b)
		f := rp.Run(c, fixed, b)
		if !reflect.DeepEqual(a, f) {
			t.Fatalf("invoice %d: planner %+v, fixed schedule %+v", i, a, f)
		}
	}
}

func TestPresetPolicies(t *testing.T) {
	b := Budget{8, 14}
	def, err := FromPreset("d", domain.DefaultPresetSpec(), b)
	if err != nil || !reflect.DeepEqual(def.Slots, []int{24, 72, 168}) {
		t.Fatalf("default preset slots %v, %v; want days 1, 3, 7", def.Slots, err)
	}
	if _, err := FromPreset("bad", domain.PresetSpec{Name: "bad", RetriesEnabled: true, Schedule: []int{1, 0}}, b); err == nil {
		t.Fatal("a zero-day gap was accepted")
	}
	short, _ := FromPreset("long", domain.PresetSpec{Name: "long", RetriesEnabled: true, Schedule: []int{5, 5, 5}}, Budget{3, 7})
	if !reflect.DeepEqual(short.Slots, []int{120}) {
		t.Fatalf("schedule beyond the window not truncated: %v", short.Slots)
	}
	if got := EvenlySpaced(Budget{3, 7}).Slots; !reflect.DeepEqual(got, []int{56, 112, 168}) {
		t.Fatalf("evenly spaced 3/7: %v", got)
	}
}
