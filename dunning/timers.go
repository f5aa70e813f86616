package dunning

import (
	"container/heap"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning/notify"
)

// timer is an entry of the heap: invoice id is due at at. An invoice has
// at most one live entry (the one whose at equals invoice.wake); entries
// left behind by a re-arm are skipped when popped.
type timer struct {
	at time.Time
	id string
}

// timers orders entries by time, then invoice id, so that firing is
// deterministic: the same ledger and clock fire in the same order.
type timers []timer

func (h timers) Len() int { return len(h) }
func (h timers) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}
func (h timers) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timers) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timers) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// rearm recomputes when inv next needs the engine and files it.
func (e *Engine) rearm(inv *invoice) {
	at := e.nextWake(inv)
	if at.Equal(inv.wake) {
		return
	}
	inv.wake = at
	if !at.IsZero() {
		heap.Push(&e.timers, timer{at: at, id: inv.id})
	}
}

// peek returns the earliest live timer, dropping stale entries.
func (e *Engine) peek() (timer, bool) {
	for len(e.timers) > 0 {
		t := e.timers[0]
		inv := e.st.invoices[t.id]
		if inv != nil && inv.wake.Equal(t.at) {
			return t, true
		}
		heap.Pop(&e.timers)
	}
	return timer{}, false
}

// pop removes the earliest live timer and returns its invoice.
func (e *Engine) pop() *invoice {
	t := heap.Pop(&e.timers).(timer)
	inv := e.st.invoices[t.id]
	inv.wake = time.Time{}
	return inv
}

// nextWake is when inv next needs the engine (zero: not until an event):
// the earliest of the aggregate's timers (domain.Invoice.Timers, derived
// from recorded events only), each reminder's next try after a failed
// send, the webhooks owed, and a card change to consider.
func (e *Engine) nextWake(inv *invoice) time.Time {
	var at time.Time
	take := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	for _, n := range inv.notes {
		if !n.done {
			take(n.at)
		}
	}
	a := inv.agg
	if !inv.live || a.Status == "" {
		return at
	}
	if inv.cardChanged != "" {
		take(inv.cardChangedAt)
	}
	if e.gateway != nil {
		if s, ok := e.orphan(inv); ok {
			take(later(s.req.At, inv.chargeRetryAt)) // settle it
		}
	}
	for _, t := range a.Timers(e.st.settings.Collection) {
		switch t.Kind {
		case domain.TimerReminder:
			continue // below, with send outcomes
		case domain.TimerCharge:
			// An invoice with no run awaits its initial charge (retries
			// come with a run), even after a customer's own attempt.
			if e.gateway == nil || a.Run == nil && !e.cfg.initialCharge {
				continue // the billing system makes this charge
			}
			if inv.holds(a.AttemptCount+1) || e.heldBefore(inv, a.AttemptCount+1) {
				continue // held after a refusal, or blocked by an earlier held key (mayCharge)
			}
			if t.At.Before(inv.chargeRetryAt) {
				t.At = inv.chargeRetryAt
			}
		}
		take(t.At)
	}
	if inv.open() {
		for _, r := range a.Reminders {
			if t, ok := e.reminderDue(inv, r); ok {
				take(t)
			}
		}
	}
	return at
}

// reminderDue is when an unsent reminder should next be tried: its time,
// or after the backoff of its recorded failures; ok is false once it is
// sent or given up.
func (e *Engine) reminderDue(inv *invoice, r domain.Reminder) (time.Time, bool) {
	if r.Sent {
		return time.Time{}, false
	}
	o := inv.outcomes[reminderID(inv, r)]
	if o.done {
		return time.Time{}, false
	}
	if o.attempts > 0 {
		return o.at.Add(notify.Backoff(o.attempts)), true
	}
	return r.At, true
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
