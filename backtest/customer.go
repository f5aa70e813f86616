package backtest

import (
	"sort"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// maxReminderLevel pools reminder counts above it.
const maxReminderLevel = 10

// CustomerHazard is the rate (per hour) at which a customer in dunning
// pays by themselves, by reminders sent so far: reminders link to a page
// to pay or update the card, so more of them raise the rate.
type CustomerHazard struct {
	Rate [maxReminderLevel + 1]float64
	// PerFailure is how many reminders a failed retry adds on average.
	PerFailure float64
}

// At returns the hourly rate with r reminders sent.
func (c *CustomerHazard) At(r float64) float64 {
	i := min(max(int(r+0.5), 0), maxReminderLevel)
	return c.Rate[i]
}

// EstimateCustomerHazard counts customer payments and the hours each
// failed invoice spent unpaid at each reminder level, within its run's
// window, and divides. Sparse levels borrow the pooled rate.
func EstimateCustomerHazard(l *smartretry.Ledger, pop []Invoice) CustomerHazard {
	var events, exposure [maxReminderLevel + 1]float64
	var failures, reminders float64
	for i := range pop {
		inv := &pop[i]
		h := l.Invoices[inv.ID]
		_, window := smartretry.Budget(inv.Preset)
		end := inv.FailedAt.Add(window)
		if inv.Recovered {
			end = inv.FailedAt.Add(time.Duration(inv.RecoveredH * float64(time.Hour)))
		}
		rem := append([]time.Time(nil), h.Reminders...)
		sort.Slice(rem, func(a, b int) bool { return rem[a].Before(rem[b]) })
		level, t := 0, inv.FailedAt
		for _, r := range rem {
			if r.After(end) {
				break
			}
			if r.After(t) {
				exposure[min(level, maxReminderLevel)] += r.Sub(t).Hours()
				t = r
			}
			level++
		}
		if end.After(t) {
			exposure[min(level, maxReminderLevel)] += end.Sub(t).Hours()
		}
		if inv.Recovered && inv.ByCustomer {
			events[min(level, maxReminderLevel)]++
		}
		for _, a := range h.Attempts[1:] {
			if a.Outcome == domain.Failed && !a.OccurredAt.After(end) && a.Initiator != domain.InitiatorCustomer {
				failures++
			}
		}
		reminders += float64(max(level-inv.Reminders0, 0))
	}
	var c CustomerHazard
	var te, tx float64
	for i := range events {
		te += events[i]
		tx += exposure[i]
	}
	pooled := 0.0
	if tx > 0 {
		pooled = te / tx
	}
	for i := range c.Rate {
		switch {
		case events[i] >= 20 && exposure[i] > 0:
			c.Rate[i] = events[i] / exposure[i]
		case exposure[i] > 0:
			// shrink toward the pooled rate with 20 pseudo-events
			c.Rate[i] = (events[i] + 20) / (exposure[i] + 20/max(pooled, 1e-9))
			if pooled == 0 {
				c.Rate[i] = 0
			}
		default:
			c.Rate[i] = pooled
		}
	}
	if failures > 0 {
		c.PerFailure = reminders / failures
	}
	return c
}
