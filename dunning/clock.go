package dunning

import (
	"sync"
	"time"
)

// Clock tells the engine the time. Business time on every event the
// engine writes comes from it, so a simulation writes virtual times.
type Clock interface {
	Now() time.Time
}

// WallClock is real time, for `recoup serve`.
type WallClock struct{}

// Now implements Clock.
func (WallClock) Now() time.Time { return time.Now().UTC() }

// VirtualClock is time that only moves when the engine's AdvanceTo moves
// it: from timer to timer in order, then to the target. A simulation
// takes months of dunning in as long as the work itself takes.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a clock standing at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start.UTC()}
}

// Now implements Clock.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// set moves the clock to t; it never moves backwards, so events written
// in one run carry non-decreasing business times.
func (c *VirtualClock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t.UTC()
	}
	c.mu.Unlock()
}
