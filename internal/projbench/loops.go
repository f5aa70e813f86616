package projbench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/internal/storebench"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/analytics"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// Measured is how many events a loop processed and how long it took.
type Measured = storebench.Measured

// fillers is the number of goroutines appending a history; streams are
// split between them so each stream's events keep their order.
const fillers = 64

// Fill appends a History of at least n events to s and returns how many
// it appended.
func Fill(ctx context.Context, s eventstore.Store, n int, seed uint64) (int, error) {
	h := NewHistory(seed, min(20_000, max(10, n/50)))
	work := make([]chan Append, fillers)
	var wg sync.WaitGroup
	errs := make([]error, fillers)
	for i := range work {
		work[i] = make(chan Append, 256)
		wg.Go(func() {
			for a := range work[i] {
				if errs[i] != nil {
					continue
				}
				evs, err := encode(a.Events)
				if err == nil {
					_, err = s.Append(ctx, a.Stream, eventstore.Any, evs...)
				}
				errs[i] = err
			}
		})
	}
	total := 0
	for total < n && ctx.Err() == nil {
		a := h.Next()
		f := fnv.New32a()
		f.Write([]byte(a.Stream))
		work[f.Sum32()%fillers] <- a
		total += len(a.Events)
	}
	for _, w := range work {
		close(w)
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return total, fmt.Errorf("fill: %w", err)
	}
	return total, nil
}

func encode(evs []domain.Event) ([]eventstore.EventData, error) {
	out := make([]eventstore.EventData, len(evs))
	meta := domain.EncodeMetadata(domain.Metadata{})
	for i, e := range evs {
		typ, data, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		out[i] = eventstore.EventData{Type: typ, Data: data, Metadata: meta}
	}
	return out, nil
}

// rebuild times a Runner rebuilding projs from s.
func rebuild(ctx context.Context, s eventstore.Store, projs ...projections.Projection) (Measured, error) {
	var applied uint64
	r, err := projections.NewRunner(s, projections.Options{BatchSize: projections.RebuildBatchSize,
		Progress: func(_ eventstore.Position, n uint64) { applied = n }}, projs...)
	if err != nil {
		return Measured{}, err
	}
	start := time.Now()
	err = r.Rebuild(ctx)
	return Measured{Events: int(applied), Elapsed: time.Since(start)}, err
}

// RebuildReadModel rebuilds all four read models from s into a fresh
// database in dir.
func RebuildReadModel(ctx context.Context, s eventstore.Store, dir string) (Measured, error) {
	db, err := readmodel.Open(dir)
	if err != nil {
		return Measured{}, err
	}
	m, err := rebuild(ctx, s, readmodel.Projections(db)...)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return m, err
}

// RebuildAnalytics rebuilds the analytics database at path from s.
func RebuildAnalytics(ctx context.Context, s eventstore.Store, path string) (Measured, error) {
	db, err := analytics.Open(ctx, path, "256MB")
	if err != nil {
		return Measured{}, err
	}
	defer db.Close()
	p, err := analytics.NewProjection(ctx, db)
	if err != nil {
		return Measured{}, err
	}
	defer p.Close()
	return rebuild(ctx, s, p)
}
