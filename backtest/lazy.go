package backtest

import (
	"context"
	"sync"
)

// lazy guards a set of fits made the first time a run needs it and kept
// for the runs after it. Only a success is kept: a fit that failed (its
// run's context cancelled, say) leaves nothing behind, and the next run
// to need the set fits it again with its own context, instead of being
// handed an error that was the earlier run's. Runs sharing it wait for
// one another: the second to need the set takes the first's fits, or
// fits them itself if the first failed.
type lazy struct {
	mu   sync.Mutex
	done bool
}

// do calls fit unless an earlier call succeeded. fit stores its fits
// itself (under the lock, so a run that returns from do reads them).
func (l *lazy) do(ctx context.Context, fit func(ctx context.Context) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	if err := fit(ctx); err != nil {
		return err
	}
	l.done = true
	return nil
}
