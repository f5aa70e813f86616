package dunning

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// unavailableStore is the embedded store on disk, whose multi-stream
// appends (direct and queued) fail with a BatchError wrapping
// eventstore.ErrUnavailable, writing nothing: a thin wrapper that injects
// the failure a networked store reports when its outcome is unknown,
// which Pebble itself never does. Every other call goes to Pebble.
type unavailableStore struct {
	*pebble.Store
	batches, queued atomic.Int32
}

func (s *unavailableStore) fail(reqs []eventstore.AppendRequest) error {
	return &eventstore.BatchError{Index: 0, Stream: reqs[0].Stream, Err: fmt.Errorf("injected: %w", eventstore.ErrUnavailable)}
}

func (s *unavailableStore) AppendBatch(_ context.Context, reqs []eventstore.AppendRequest) ([]eventstore.AppendResult, error) {
	s.batches.Add(1)
	return nil, s.fail(reqs)
}

func (s *unavailableStore) QueueAppendBatch(_ context.Context, _ *eventstore.QueueChain, reqs []eventstore.AppendRequest) (func() ([]eventstore.AppendResult, error), error) {
	s.queued.Add(1)
	return func() ([]eventstore.AppendResult, error) { return nil, s.fail(reqs) }, nil
}

// TestUnavailableAppendIsNotNamed: a multi-stream append that fails with
// the store unavailable (its outcome unknown) names a request by its
// BatchError's index, but the store did not refuse that request: the
// FlushError names no append (only a refusal is named, see refusal), on
// the one-commit path and on a sole writer's queued path.
func TestUnavailableAppendIsNotNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"OneCommit", nil},
		{"Queued", []Option{WithSoleWriter()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			ps := openPebble(t)
			st := &unavailableStore{Store: ps}
			appendAsOther(t, ps, customerEvents(1, t0)...)
			e, err := New(st, NewVirtualClock(t0), GatewayFunc(declined), append([]Option{WithInitialCharge(true), WithExploreRate(0)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			err = e.AdvanceTo(context.Background(), t0.Add(time.Hour))
			var fe *FlushError
			if !errors.As(err, &fe) || !errors.Is(err, eventstore.ErrUnavailable) {
				t.Fatalf("AdvanceTo on an unavailable store: %v; want a *FlushError for it", err)
			}
			if fe.Stream != "" || len(fe.Events) != 0 {
				t.Fatalf("FlushError names %s %v; want no append named (none was refused)", fe.Stream, fe.Events)
			}
			if q := st.queued.Load() > 0; q != (tc.opts != nil) {
				t.Fatalf("queued appends: %d, direct: %d; want the %s path", st.queued.Load(), st.batches.Load(), tc.name)
			}
		})
	}
}

// failingStreams has only eventstore.Store's methods (the engine writes
// each flush stream by stream, as on KurrentDB), and fails the appends to
// some streams: with the store unavailable (outcome unknown), or refused
// as invalid. Every other call goes to the embedded store on disk.
type failingStreams struct {
	eventstore.Store
	fail map[string]error
}

func (s failingStreams) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.fail[stream]; err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.Store.Append(ctx, stream, exp, evs...)
}

// TestRefusalBehindAnUnknownOutcome: of two appends of one phase, the
// first fails with its outcome unknown and the second is refused. The
// FlushError names the refused append, whatever their order: a refusal is
// what an operator must act on.
func TestRefusalBehindAnUnknownOutcome(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ps := openPebble(t)
	st := failingStreams{Store: ps, fail: map[string]error{
		"invoice-in_1": fmt.Errorf("injected: %w", eventstore.ErrUnavailable),
		"invoice-in_2": fmt.Errorf("injected: %w", eventstore.ErrInvalidArgument),
	}}
	appendAsOther(t, ps, customerEvents(1, t0)...)
	appendAsOther(t, ps, customerEvents(2, t0)...)
	e, err := New(st, NewVirtualClock(t0), GatewayFunc(declined), WithInitialCharge(true), WithExploreRate(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	err = e.AdvanceTo(context.Background(), t0.Add(time.Hour))
	var fe *FlushError
	if !errors.As(err, &fe) {
		t.Fatalf("AdvanceTo: %v; want a *FlushError", err)
	}
	if fe.Stream != "invoice-in_2" || !errors.Is(err, eventstore.ErrInvalidArgument) {
		t.Fatalf("FlushError names %q: %v; want the refused append to invoice-in_2", fe.Stream, err)
	}
}
