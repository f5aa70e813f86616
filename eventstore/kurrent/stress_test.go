package kurrent_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
)

// TestConcurrentCallsAcrossRestarts runs many writers while the server
// stops and restarts twice: every call returns (none hangs in the
// client's reconnect), failures are ErrUnavailable only, every
// acknowledged event is there exactly once, and writing works again after.
func TestConcurrentCallsAcrossRestarts(t *testing.T) {
	srv, ps := startDouble(t)
	s := openStore(t, srv.URL(), kurrent.Options{MaxDiscoverAttempts: 1})
	const writers = 32
	var acked atomic.Int64
	var unavailable atomic.Int64
	stop := make(chan struct{})
	errc := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("invoice-%d", w)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				ev := jsonEvent("PaymentAttempted", i)
				_, err := s.Append(ctx, stream, eventstore.Any, ev)
				for errors.Is(err, eventstore.ErrUnavailable) && ctx.Err() == nil {
					// Outcome unknown: retry the same event (same ID).
					unavailable.Add(1)
					time.Sleep(20 * time.Millisecond)
					_, err = s.Append(ctx, stream, eventstore.Any, ev)
				}
				cancel()
				if err != nil {
					errc <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				acked.Add(1)
			}
		})
	}
	for range 2 {
		time.Sleep(300 * time.Millisecond)
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Fatalf("writers still blocked a minute after the last restart:\n%s", b.String())
	}
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	all, err := ps.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e.ID.String()] {
			t.Fatalf("event %s stored twice", e.ID)
		}
		seen[e.ID.String()] = true
	}
	if int64(len(all)) != acked.Load() {
		t.Fatalf("%d events stored, %d acknowledged", len(all), acked.Load())
	}
	if unavailable.Load() == 0 {
		t.Fatal("no call saw the outage")
	}
	t.Logf("%d events acknowledged, %d calls retried after ErrUnavailable", acked.Load(), unavailable.Load())
}
