package dunning

import "time"

// Flush time. Flushes overlap: a sole writer keeps up to queuedFlights
// in flight, so adding up each flush's duration counts the same wall time
// several times and can exceed the wall time of the run. Stats.FlushTime
// is instead the union of the flushes' spans, from a flush's start to the
// store's answer: the wall time during which at least one flush was in
// flight. Stats.FlushWait is the part of it the driver spent blocked
// waiting for a flush, the time the pipelining did not hide.

// busyTime adds up the union of spans given in order of their starts.
type busyTime struct {
	total time.Duration
	until time.Time // the end of the union so far
}

// add takes in the span [start, end]; spans must come in the order of
// their starts (flights land in the order they started).
func (b *busyTime) add(start, end time.Time) {
	switch {
	case !end.After(start):
	case b.until.IsZero() || !start.Before(b.until):
		b.total += end.Sub(start)
		b.until = end
	case end.After(b.until):
		b.total += end.Sub(b.until)
		b.until = end
	}
}

// account takes a landed flight's work into the engine's counters.
func (e *Engine) account(f *flight) {
	e.stats.Flushes++
	e.stats.Appends += f.appends
	e.busy.add(f.started, f.ended)
	e.stats.FlushTime = e.busy.total
}
