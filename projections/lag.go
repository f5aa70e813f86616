package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// MaxLag caps the number of events Lag counts behind the head: positions
// are not contiguous, so lag is counted by reading, and a projection that
// far behind is simply reported as MaxLag.
const MaxLag = 100_000

// lagInterval bounds how often the metrics gauge is refreshed while
// catching up.
const lagInterval = time.Second

// Lag returns, per projection name, the number of events in $all after
// its checkpoint (at most MaxLag).
func (r *Runner) Lag(ctx context.Context) (map[string]uint64, error) {
	r.mu.Lock()
	loaded := r.loaded
	r.mu.Unlock()
	if !loaded {
		if _, err := r.loadCheckpoints(ctx); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	cps := append([]checkpoint(nil), r.cps...)
	r.mu.Unlock()
	out := make(map[string]uint64, len(r.projs))
	counted := map[checkpoint]uint64{}
	for i, p := range r.projs {
		n, ok := counted[cps[i]]
		if !ok {
			var err error
			if n, err = r.countAfter(ctx, cps[i]); err != nil {
				return nil, err
			}
			counted[cps[i]] = n
		}
		out[p.Name()] = n
	}
	return out, nil
}

func (r *Runner) countAfter(ctx context.Context, cp checkpoint) (uint64, error) {
	evs, err := r.store.ReadAll(ctx, eventstore.ReadAllOptions{From: cp.pos, Count: MaxLag + 1})
	if err != nil {
		return 0, fmt.Errorf("projections: count lag: %w", err)
	}
	var n uint64
	for i := range evs {
		if !cp.ok || cp.pos.Less(evs[i].Position) {
			n++
		}
	}
	return min(n, MaxLag), nil
}

// updateLag refreshes the lag gauge, at most once per lagInterval unless
// force is set.
func (r *Runner) updateLag(ctx context.Context, force bool) {
	m := r.opts.Metrics
	if m == nil || (!force && time.Since(r.lastLg) < lagInterval) {
		return
	}
	r.lastLg = time.Now()
	lag, err := r.Lag(ctx)
	if err != nil {
		return // the gauge keeps its last value; the next batch retries
	}
	for name, n := range lag {
		m.lag.WithLabelValues(name).Set(float64(n))
	}
}
