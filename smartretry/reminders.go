package smartretry

import (
	"sort"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// maxReminderLevel caps the reminder counts the estimate distinguishes;
// higher counts share the last level.
const maxReminderLevel = 12

// EstimateReminderValue learns from a ledger how much one more reminder
// raises the chance that a customer in dunning pays by themselves (after
// updating the card or on the hosted page), per hour: the engine emails
// after every failed attempt, so a failed retry is not worthless, and an
// early one is worth more than a late one.
//
// Over every failed invoice's dunning window (until paid, or the end of
// its preset's window), the hours are split by the number of reminders
// sent so far and the day of the run, and the customer payments counted
// in each cell. Within a day the rate per hour is fitted as
// a_day + b·reminders by least squares weighted by exposure; b (never
// negative) is the value per reminder per remaining hour, as a share of
// the amount. Customers that failed more often are also likelier to be
// gone for good, so b is biased low rather than high.
func EstimateReminderValue(l *Ledger) float64 {
	// exposure[d][k] hours and events[d][k] customer payments on day d of
	// the dunning run with k reminders sent.
	var exposure, events [][maxReminderLevel + 1]float64
	add := func(from, to time.Time, start time.Time, level int) {
		for from.Before(to) {
			d := int(from.Sub(start) / (24 * time.Hour))
			next := start.Add(time.Duration(d+1) * 24 * time.Hour)
			if next.After(to) {
				next = to
			}
			for len(exposure) <= d {
				exposure = append(exposure, [maxReminderLevel + 1]float64{})
				events = append(events, [maxReminderLevel + 1]float64{})
			}
			exposure[d][min(level, maxReminderLevel)] += next.Sub(from).Hours()
			from = next
		}
	}
	for _, id := range l.Order {
		h := l.Invoices[id]
		if h == nil || !h.Failed() || h.Dunning == nil {
			continue
		}
		_, window := Budget(h.Dunning.Preset)
		start := h.FirstFailure()
		end := start.Add(window)
		if !h.PaidAt.IsZero() && h.PaidAt.Before(end) {
			end = h.PaidAt
		}
		if !end.After(start) {
			continue
		}
		byCustomer := false
		for _, a := range h.Attempts {
			if a.Initiator == domain.InitiatorCustomer && a.Outcome == domain.Succeeded && !a.OccurredAt.After(end) {
				byCustomer = true
			}
		}
		rem := append([]time.Time(nil), h.Reminders...)
		sort.Slice(rem, func(i, j int) bool { return rem[i].Before(rem[j]) })
		level, t := 0, start
		for _, r := range rem {
			if r.After(end) {
				break
			}
			if r.After(t) {
				add(t, r, start, level)
				t = r
			}
			level++
		}
		add(t, end, start, level)
		if byCustomer {
			d := int(end.Sub(start) / (24 * time.Hour))
			if end.Sub(start)%(24*time.Hour) == 0 && d > 0 {
				d-- // paid at the very end of a day: that day's exposure
			}
			if d < len(events) {
				events[d][min(level, maxReminderLevel)]++
			}
		}
	}
	// Within each day since the failure, regress the payment rate on the
	// reminder count (weights: exposure), pooling the slope over days:
	// comparing runs at the same age removes most of the drift of the
	// pool towards customers who will never pay.
	var num, den float64
	for d := range exposure {
		var sw, swk float64
		for k, w := range exposure[d] {
			sw += w
			swk += w * float64(k)
		}
		if sw == 0 {
			continue
		}
		mean := swk / sw
		for k, w := range exposure[d] {
			x := float64(k) - mean
			num += x * events[d][k]
			den += w * x * x
		}
	}
	if den <= 0 {
		return 0
	}
	return max(num/den, 0)
}
