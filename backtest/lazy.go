package backtest

import (
	"context"
	"sync"
	"sync/atomic"
)

// lazy guards a set of fits made the first time a run needs it and kept
// for the runs after it. Only a success is kept: a fit that failed (its
// run's context cancelled, say) leaves nothing behind, and the next run
// to need the set fits it again with its own context, instead of being
// handed an error that was the earlier run's. Runs sharing it wait for
// one another: the second to need the set takes the first's fits, or
// fits them itself if the first failed. A run waits only as long as its
// own context lets it: the lock is a one-token channel taken in a select
// with the context, so a cancelled waiter returns at once rather than
// when another run's fit ends.
//
// A failure is never kept, even one whose context was live (which would
// recur on every attempt): each run then pays for its own failing fit,
// but every error a run sees is its own.
type lazy struct {
	once sync.Once     // makes token
	tok  chan struct{} // holds one value while a run fits or checks
	done atomic.Bool   // set, after the fits are stored, by the fit that succeeded
}

// do calls fit unless an earlier call succeeded. fit stores its fits
// itself; done is set after it returns, so a run that sees done (or
// returns nil from do) reads them.
func (l *lazy) do(ctx context.Context, fit func(ctx context.Context) error) error {
	if l.done.Load() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.once.Do(func() { l.tok = make(chan struct{}, 1) })
	select {
	case l.tok <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.tok }()
	if l.done.Load() {
		return nil
	}
	if err := fit(ctx); err != nil {
		return err
	}
	l.done.Store(true)
	return nil
}
