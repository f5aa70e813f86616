package backtest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gate is a fit that blocks until released (or its context ends), so
// that callers overlap: it counts the calls that entered it and the fits
// it kept.
type gate struct {
	entered chan struct{} // one value per call entering the fit
	release chan struct{}
	calls   atomic.Int32
	kept    atomic.Int32
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}, 64), release: make(chan struct{})}
}

func (g *gate) fit(ctx context.Context) error {
	g.calls.Add(1)
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.kept.Add(1)
	return nil
}

// await waits for the next call to enter the fit.
func (g *gate) await(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no call entered the fit")
	}
}

// settle gives goroutines that could wrongly enter the fit the time to.
func settle() { time.Sleep(50 * time.Millisecond) }

// A fit that failed is not kept: the next call fits again with its own
// context, and once one succeeded no call fits again. A cancelled context
// does not fit at all.
func TestLazyKeepsOnlySuccess(t *testing.T) {
	var l lazy
	var fits, kept int
	broken := errors.New("singular design")
	fail := true
	fit := func(ctx context.Context) error {
		fits++
		if fail {
			return broken
		}
		kept++
		return nil
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		if err := l.do(cancelled, fit); !errors.Is(err, context.Canceled) || fits != 0 {
			t.Fatalf("with a cancelled context: %v after %d fits, want context.Canceled without fitting", err, fits)
		}
	}
	if err := l.do(context.Background(), fit); !errors.Is(err, broken) {
		t.Fatalf("a failing fit: %v, want its error", err)
	}
	fail = false
	if err := l.do(context.Background(), fit); err != nil {
		t.Fatalf("after a failed fit: %v, want the fits (the failure is not kept)", err)
	}
	if err := l.do(cancelled, fit); err != nil || fits != 2 || kept != 1 {
		t.Fatalf("after a success, a cancelled context: %v after %d fits (%d kept); want the kept fits without fitting again", err, fits, kept)
	}
}

// Concurrent callers fit once: while one fits the others wait, and take
// its fits when it succeeds.
func TestLazyFitsOnce(t *testing.T) {
	var l lazy
	g := newGate()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = l.do(context.Background(), g.fit) })
	}
	g.await(t)
	settle()
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d callers inside the fit at once, want 1", n)
	}
	close(g.release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v, want the fits", i, err)
		}
	}
	if n, k := g.calls.Load(), g.kept.Load(); n != 1 || k != 1 {
		t.Errorf("%d fits called, %d kept; want 1 and 1", n, k)
	}
}

// A live caller waiting on a fitter whose context is cancelled fits
// itself once the fitter gives up, and ends with the fits.
func TestLazyWaiterOutlivesCancelledFitter(t *testing.T) {
	var l lazy
	g := newGate()
	fitterCtx, cancelFitter := context.WithCancel(context.Background())
	fitter := make(chan error, 1)
	go func() { fitter <- l.do(fitterCtx, g.fit) }()
	g.await(t)
	waiter := make(chan error, 1)
	go func() { waiter <- l.do(context.Background(), g.fit) }()
	settle()
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d callers inside the fit at once, want 1", n)
	}
	cancelFitter()
	if err := <-fitter; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fitter: %v, want context.Canceled", err)
	}
	g.await(t) // the waiter's own fit
	close(g.release)
	if err := <-waiter; err != nil {
		t.Fatalf("live waiter: %v, want the fits", err)
	}
	if n, k := g.calls.Load(), g.kept.Load(); n != 2 || k != 1 {
		t.Errorf("%d fits called, %d kept; want 2 (the cancelled one, the waiter's) and 1", n, k)
	}
	if err := l.do(context.Background(), g.fit); err != nil || g.calls.Load() != 2 {
		t.Errorf("after the waiter's fit: %v after %d fits, want the kept fits", err, g.calls.Load())
	}
}

// A waiter whose context is cancelled returns at once, while the fit it
// waited on goes on.
func TestLazyCancelledWaiterReturns(t *testing.T) {
	var l lazy
	g := newGate()
	fitter := make(chan error, 1)
	go func() { fitter <- l.do(context.Background(), g.fit) }()
	g.await(t)
	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan error, 1)
	go func() { waiter <- l.do(ctx, g.fit) }()
	settle()
	cancel()
	select {
	case err := <-waiter:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled waiter: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("cancelled waiter still waits on the fit")
	}
	close(g.release)
	if err := <-fitter; err != nil {
		t.Fatalf("fitter: %v", err)
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("%d fits called, want 1 (the waiter never fitted)", n)
	}
}
