package dunning

import (
	"container/heap"
	"time"
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
