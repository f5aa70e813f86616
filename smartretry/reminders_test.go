package smartretry

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// A ledger whose customers pay by themselves at a known rate
// c·(1 + β·reminders) per hour, with reminders at random times: the
// estimate recovers c·β.
func TestEstimateReminderValue(t *testing.T) {
	const c, beta = 0.0004, 0.5
	r := rand.New(rand.NewPCG(7, 7))
	preset := domain.PresetSpec{Name: "p", RetriesEnabled: true, SmartRetries: true, SmartMaxRetries: 8, SmartWindowDays: 14}
	window := 14 * 24.0
	l := NewLedger()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 20000; i++ {
		id := fmt.Sprintf("in_%d", i)
		t0 := base.Add(time.Duration(r.IntN(24*300)) * time.Hour)
		at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
		l.Add(domain.InvoiceFinalized{Base: domain.Base{OccurredAt: t0}, InvoiceID: id, Amount: 1000})
		l.Add(domain.PaymentAttempted{Base: domain.Base{OccurredAt: t0}, InvoiceID: id, AttemptNumber: 1, Outcome: domain.Failed, Initiator: domain.InitiatorInitial})
		l.Add(domain.DunningStarted{Base: domain.Base{OccurredAt: t0}, InvoiceID: id, Preset: preset})
		// reminders: one at the failure, then up to 8 at random hours
		rem := []float64{0}
		for k := 0; k < r.IntN(9); k++ {
			rem = append(rem, r.Float64()*window)
		}
		sort.Float64s(rem)
		// draw the customer's payment time against the piecewise rate
		e, paid := r.ExpFloat64(), -1.0
		for k, h := range rem {
			end := window
			if k+1 < len(rem) {
				end = rem[k+1]
			}
			rate := c * (1 + beta*float64(k+1))
			if e <= rate*(end-h) {
				paid = h + e/rate
				break
			}
			e -= rate * (end - h)
		}
		for _, h := range rem {
			if paid >= 0 && h > paid {
				break
			}
			l.Add(domain.ReminderSent{Base: domain.Base{OccurredAt: at(h)}, InvoiceID: id, Kind: domain.ReminderPaymentFailed})
		}
		if paid >= 0 {
			l.Add(domain.PaymentAttempted{Base: domain.Base{OccurredAt: at(paid)}, InvoiceID: id, AttemptNumber: 2, Outcome: domain.Succeeded, Initiator: domain.InitiatorCustomer})
			l.Add(domain.InvoicePaid{Base: domain.Base{OccurredAt: at(paid)}, InvoiceID: id, AmountPaid: 1000})
		}
	}
	l.Done()
	got := EstimateReminderValue(l)
	t.Logf("reminder value %.3g per hour (truth %.3g)", got, c*beta)
	if want := c * beta; math.Abs(got-want) > 0.2*want {
		t.Fatalf("reminder value %.3g per hour, want %.3g ± 20%%", got, want)
	}
	if v := EstimateReminderValue(NewLedger()); v != 0 {
		t.Fatalf("empty ledger: reminder value %v, want 0", v)
	}
}

// When every failed attempt's reminder is worth much more than the
// attempt's own chance (at 0.1 per hour the customer almost surely pays
// after a reminder sent early in the window), the plan uses every retry
// and starts at once.
func TestReminderValuePlansEarlyAndFull(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	m := randomModel(r)
	p := NewPlanner(m, func(_ *domain.RetryContext, from time.Time) (time.Time, string) { return from, "" })
	p.Objective.AttemptCost = 0
	p.Objective.Probes = 8
	p.Objective.ReminderValue = 0.1
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for trial := 0; trial < 30; trial++ {
		s := newSynthCase(r, base)
		rc := contextFor(&s.c, 1+r.IntN(8), 14*24*time.Hour)
		plan, err := p.PlanRetry(context.Background(), rc)
		if err != nil {
			t.Fatal(err)
		}
		earliest := ceilFrom(s.c.first().At, maxTime(rc.Now, s.c.last().At.Add(p.Objective.MinSpacing)))
		if !plan.Retry || len(plan.Schedule) != rc.RetriesLeft || plan.At.After(earliest.Add(8*time.Hour)) {
			t.Fatalf("%d retries left: planned %d, first at %v (earliest %v)", rc.RetriesLeft, len(plan.Schedule), plan.At, earliest)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
