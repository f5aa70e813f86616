package dunning

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// TestBusyTime: the union of spans given in order of their starts.
func TestBusyTime(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type span struct{ from, to int }
	for _, tc := range []struct {
		name  string
		spans []span
		want  time.Duration
	}{
		{"none", nil, 0},
		{"one", []span{{0, 10}}, 10 * time.Millisecond},
		{"apart", []span{{0, 10}, {20, 25}}, 15 * time.Millisecond},
		{"touching", []span{{0, 10}, {10, 15}}, 15 * time.Millisecond},
		{"overlapping", []span{{0, 10}, {5, 15}, {8, 20}}, 20 * time.Millisecond},
		{"nested", []span{{0, 30}, {5, 10}, {12, 29}}, 30 * time.Millisecond},
		{"nested then beyond", []span{{0, 30}, {5, 10}, {12, 40}}, 40 * time.Millisecond},
		{"empty span", []span{{0, 10}, {50, 50}, {60, 70}}, 20 * time.Millisecond},
		{"ends out of order", []span{{0, 50}, {10, 20}, {30, 60}, {70, 80}}, 70 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b busyTime
			for _, s := range tc.spans {
				b.add(ms(s.from), ms(s.to))
			}
			if b.total != tc.want {
				t.Fatalf("busy %v, want %v", b.total, tc.want)
			}
		})
	}
}

// TestFlushTimeCountsOverlapOnce: a sole writer keeps four flushes in
// flight on the embedded store (on disk) while the first commit's sync is
// held for a while. Each of the four is in flight for about that long, so
// their durations add up to several times the wall time; Stats.FlushTime,
// the wall time with a flush in flight, stays within the wall time of the
// run and covers the hold. The driver waits for the flushes only at the
// end, in Flush: FlushWait is that wait.
func TestFlushTimeCountsOverlapOnce(t *testing.T) {
	const hold = 60 * time.Millisecond
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	must := mustFor(t)
	s, gate := openGated(t)
	gw := GatewayFunc(func(context.Context, ChargeRequest) (ChargeResult, error) {
		return ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
	})
	e, err := New(s, NewVirtualClock(t0), gw, WithInitialCharge(true), WithExploreRate(0), WithSoleWriter())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	must(e.Commit(ctx)) // settles: the store is empty
	if st := e.Stats(); st.Flushes != 0 || st.FlushTime != 0 {
		t.Fatalf("stats before any flush: %+v", st)
	}
	start := time.Now()
	gate.hold()
	for h := 1; h <= 4; h++ {
		b := domain.Base{OccurredAt: t0.Add(time.Duration(h) * time.Hour)}
		recordCustomer(t, e, h, b)
		must(recordInvoice(t, e, h, b))
		must(e.Decide(ctx, b.OccurredAt))
		must(e.Commit(ctx))
		if h == 1 {
			gate.next(t) // the first commit's sync is held; the rest queue
		}
	}
	if n := len(e.flights); n != 4 {
		t.Fatalf("%d flushes in flight, want 4", n)
	}
	var releasedAt atomic.Int64
	time.AfterFunc(hold, func() { releasedAt.Store(time.Now().UnixNano()); gate.open() })
	flushAt := time.Now()
	must(e.Flush(ctx))
	elapsed := time.Since(start)
	st := e.Stats()
	if st.Flushes != 4 || st.Charges != 4 {
		t.Fatalf("%d flushes and %d charges, want 4 of each", st.Flushes, st.Charges)
	}
	if st.FlushTime < hold || st.FlushTime > elapsed {
		t.Fatalf("flush time %v; want at least the %v hold and at most the %v the run took", st.FlushTime, hold, elapsed)
	}
	// Flush was called before the sync was let go (unless this goroutine
	// was kept off the CPU for most of the hold), so it had to wait.
	if early := time.Unix(0, releasedAt.Load()).Sub(flushAt); early > hold/4 && st.FlushWait == 0 {
		t.Fatalf("no flush wait recorded, though Flush was called %v before the sync was let go", early)
	}
	if st.FlushWait > elapsed {
		t.Fatalf("flush wait %v is more than the %v the run took", st.FlushWait, elapsed)
	}
}
