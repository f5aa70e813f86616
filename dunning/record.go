package dunning

import (
	"context"
	"errors"
	"fmt"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// Recording for another writer. A simulation's world decides facts (sign
// ups, renewals, card activity, card updates) between the engine's steps.
// Written to the store and read back by the engine's subscription, each
// fact would cost a commit of its own and a decode; handed to the engine
// instead (Record), it is applied to the engine's memory at once and
// staged in the outbox with the engine's own decisions, so that a step's
// facts and decisions go out in one commit, in staging order. The events
// keep the writer's IDs, metadata and expected revision, and are written
// like any other append: atomically, with their revision checked. The
// engine does not re-decide a recorded event it could not write: a
// refused recorded append fails the flush, and so does one not written
// because an append it follows (its subscription's) conflicted.
//
// When the subscription delivers the recorded events back, they are
// skipped by stream revision: invoices and subscriptions by the version
// of their aggregate, as for the engine's own events, and other streams
// by the revisions their appends were written at (echo).

// revRange is a run of revisions of one stream the engine wrote for a
// recorded append and has applied already.
type revRange struct{ first, last uint64 }

// Record applies events another writer decided to the engine's memory and
// stages them, encoded as data (the writer's IDs, types and metadata; an
// element whose Data is nil is encoded by the engine, with the type and
// JSON domain.Encode gives, which spares the writer a copy of its own), to
// be appended to stream with expected at the engine's next flush, with its
// decisions. The events must be of one stream. A stream that already has
// staged events takes more, joining the staged append and its expected
// revision, with eventstore.Any or with the exact revision the staged
// events leave the stream at (checked here, since the store checks only
// the staged append's own expectation). Once a flush has failed, Record
// applies nothing and returns the engine's *FlushError.
func (e *Engine) Record(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []domain.Event, data []eventstore.EventData) error {
	if len(evs) == 0 || len(evs) != len(data) {
		return fmt.Errorf("dunning: record to %s: %d events with %d encodings", stream, len(evs), len(data))
	}
	for _, ev := range evs {
		if ev.StreamName() != stream {
			return fmt.Errorf("dunning: record to %s: a %s event belongs to %s", stream, ev.EventType(), ev.StreamName())
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.failure(ctx); err != nil {
		return err // stopped: nothing more is applied (halt.go)
	}
	b := e.outbox[stream]
	if b != nil && !expected.IsAny() && !b.continuedBy(expected) {
		return fmt.Errorf("dunning: record to %s: expected revision %v after events already staged for the stream (only Any, or the revision they leave it at, can join them)", stream, expected)
	}
	if b == nil {
		b = e.newBatch(stream, expected)
		e.outbox[stream] = b
		e.order = append(e.order, b)
	}
	b.events = append(b.events, data...)
	b.recorded += len(data)
	for i, ev := range evs {
		// Events without data are encoded by the flight that writes them
		// (see encode.go); evs stays index for index with events.
		if data[i].Data != nil {
			ev = nil
		} else if data[i].Type == "" {
			b.events[len(b.events)-len(evs)+i].Type = ev.EventType()
		}
		b.evs = append(b.evs, ev)
	}
	for _, ev := range evs {
		e.apply(ev)
	}
	if e.pending() >= e.cfg.batchSize {
		return e.flushAsync(ctx)
	}
	return nil
}

// continuedBy reports whether expected is exactly the revision the
// stream will be at after b: b's own expectation is definite (no stream,
// or an exact revision) and b's events follow it.
func (b *batch) continuedBy(expected eventstore.ExpectedRevision) bool {
	want, ok := expected.Revision()
	if !ok {
		return false
	}
	n := uint64(len(b.events))
	switch {
	case b.expected.IsNoStream():
		return want == n-1
	default:
		last, ok := b.expected.Revision()
		return ok && want == last+n
	}
}

// Flush writes everything staged (recorded events and decisions) and
// waits for it: after it, the store holds all the engine has applied.
func (e *Engine) Flush(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	// A failed flush stops the engine before anything more is sent to
	// the store (halt.go).
	if err := e.failure(ctx); err != nil {
		return err
	}
	return e.flush(ctx)
}

// noteWritten marks b written and remembers the revisions it took, if it
// carries recorded events of a stream the subscription cannot skip by aggregate
// version.
func (f *flight) noteWritten(b *batch, res eventstore.AppendResult) {
	b.written = true
	if f.last.Less(res.Position) {
		f.last = res.Position
	}
	if b.recorded == 0 || f.queuedMode || byVersion(b.stream) {
		// A queued flight is a settled sole writer's: no echo is kept.
		return
	}
	n := uint64(len(b.events))
	f.written = append(f.written, writtenRange{b.stream, revRange{res.NextExpectedRevision + 1 - n, res.NextExpectedRevision}})
}

type writtenRange struct {
	stream string
	r      revRange
}

// byVersion reports whether the subscription skips the engine's own
// events of stream by its aggregate's version (see handle).
func byVersion(stream string) bool {
	return hasPrefix(stream, "invoice-") || hasPrefix(stream, "subscription-")
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// echoed reports whether rec is a recorded event the engine applied
// already, and forgets ranges the subscription has passed.
func (e *Engine) echoed(rec *eventstore.RecordedEvent) bool {
	rs, ok := e.echo[rec.Stream]
	if !ok {
		return false
	}
	hit := false
	kept := rs[:0]
	for _, r := range rs {
		switch {
		case rec.Revision >= r.first && rec.Revision <= r.last:
			hit = true
			if rec.Revision < r.last {
				kept = append(kept, r)
			}
		case rec.Revision < r.first:
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		delete(e.echo, rec.Stream)
	} else {
		e.echo[rec.Stream] = kept
	}
	return hit
}

// errRecordedRefused is the error of a flush whose recorded append was
// refused for its expected revision.
var errRecordedRefused = errors.New("a recorded append was refused")
