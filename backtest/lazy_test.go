package backtest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// A fit that failed is not kept: the next call fits again with its own
// context, and once one succeeded no call fits again, concurrent callers
// included.
func TestLazyKeepsOnlySuccess(t *testing.T) {
	var l lazy
	var fits atomic.Int32
	var kept int
	fit := func(ctx context.Context) error {
		fits.Add(1)
		if err := ctx.Err(); err != nil {
			return err
		}
		kept++
		return nil
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.do(cancelled, fit); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a cancelled context: %v, want context.Canceled", err)
	}
	if err := l.do(cancelled, fit); !errors.Is(err, context.Canceled) {
		t.Fatalf("again with a cancelled context: %v, want context.Canceled", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.do(context.Background(), fit)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("live call %d: %v, want the fits (the cancellation is not kept)", i, err)
		}
	}
	if got := fits.Load(); got != 3 || kept != 1 {
		t.Fatalf("%d fits called, %d kept; want 3 (two cancelled, one live) and 1", got, kept)
	}
	if err := l.do(cancelled, fit); err != nil || fits.Load() != 3 {
		t.Fatalf("after a success, a cancelled context: %v with %d fits; want the kept fits without fitting again", err, fits.Load())
	}
}
