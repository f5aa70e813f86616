package storebench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// Budget bounds a loop by a number of events, a deadline, or both. With
// no deadline, Events is the whole budget (0: nothing to do); with a
// deadline, Events 0 means no limit on the count.
type Budget struct {
	Events   int
	Deadline time.Time
}

func (b Budget) more(done int) bool {
	if b.Deadline.IsZero() {
		return done < b.Events
	}
	if b.Events > 0 && done >= b.Events {
		return false
	}
	return time.Now().Before(b.Deadline)
}

// Measured is how many events a loop processed and how long it took.
type Measured struct {
	Events  int
	Elapsed time.Duration
}

// PerSecond is the loop's throughput.
func (m Measured) PerSecond() float64 {
	if m.Elapsed <= 0 {
		return 0
	}
	return float64(m.Events) / m.Elapsed.Seconds()
}

// AppendConcurrent runs goroutines that each append one event at a time to
// a stream of their own (expected revision Exact, as an aggregate would).
func AppendConcurrent(ctx context.Context, s eventstore.Store, goroutines int, b Budget) (Measured, error) {
	var claimed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for g := range goroutines {
		wg.Go(func() {
			stream := fmt.Sprintf("bench-%d-%d", start.UnixNano(), g)
			exp := eventstore.NoStream
			for {
				n := int(claimed.Add(1))
				if !b.more(n - 1) {
					claimed.Add(-1)
					return
				}
				res, err := s.Append(ctx, stream, exp, Event(n))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				exp = eventstore.Exact(res.NextExpectedRevision)
			}
		})
	}
	wg.Wait()
	return Measured{Events: int(claimed.Load()), Elapsed: time.Since(start)}, firstErr
}

// AppendBulk appends batches of size events to one stream at a time.
func AppendBulk(ctx context.Context, s eventstore.Store, size int, b Budget) (Measured, error) {
	batch := Events(0, size)
	start := time.Now()
	done := 0
	for i := 0; b.more(done); i++ {
		stream := fmt.Sprintf("bulk-%d-%d", start.UnixNano(), i)
		if _, err := s.Append(ctx, stream, eventstore.NoStream, batch...); err != nil {
			return Measured{Events: done, Elapsed: time.Since(start)}, err
		}
		done += size
	}
	return Measured{Events: done, Elapsed: time.Since(start)}, nil
}

// Fill appends n events in appends of 1000 (fewer for the last).
func Fill(ctx context.Context, s eventstore.Store, n int) error {
	for done := 0; done < n; done += 1000 {
		k := min(1000, n-done)
		if _, err := s.Append(ctx, fmt.Sprintf("fill-%d", done), eventstore.Any, Events(done, k)...); err != nil {
			return err
		}
	}
	return nil
}

// ReadAll reads the whole of $all forwards in pages of pageSize, the way a
// consumer pages: from the last position seen, inclusive, skipping it.
func ReadAll(ctx context.Context, s eventstore.Store, pageSize int) (Measured, error) {
	start := time.Now()
	from := eventstore.Start
	n, first := 0, true
	for {
		page, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Count: uint64(pageSize)})
		if err != nil {
			return Measured{}, err
		}
		if !first && len(page) > 0 && page[0].Position == from {
			page = page[1:]
		}
		if len(page) == 0 {
			break
		}
		first = false
		n += len(page)
		from = page[len(page)-1].Position
	}
	return Measured{Events: n, Elapsed: time.Since(start)}, nil
}

// SubscribeCatchUp subscribes from the start and receives n events.
func SubscribeCatchUp(ctx context.Context, s eventstore.Store, n int) (Measured, error) {
	start := time.Now()
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true})
	if err != nil {
		return Measured{}, err
	}
	defer sub.Close()
	got := 0
	for got < n {
		m, err := sub.Recv(ctx)
		if err != nil {
			return Measured{Events: got, Elapsed: time.Since(start)}, err
		}
		if m.Event != nil {
			got++
		}
	}
	return Measured{Events: got, Elapsed: time.Since(start)}, nil
}

// Add sums two measurements of the same loop.
func (m Measured) Add(o Measured) Measured {
	return Measured{Events: m.Events + o.Events, Elapsed: m.Elapsed + o.Elapsed}
}
