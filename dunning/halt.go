package dunning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// Stopping at a failed flush. A flush the store refuses (or that fails
// otherwise) leaves the engine's memory ahead of the ledger: it applied
// decisions that are not written, and a sole writer may have queued more
// flushes behind the failed one, which the store refuses in turn (they
// are on one eventstore.QueueChain). The engine then stops: it takes no
// further action with outside effects (a charge, an email, a webhook),
// and every later call that would decide or write returns the same
// *FlushError. A restart rebuilds its memory from the ledger.
//
// The failure is seen as soon as it can be: a flight that fails raises
// e.failed before it reports done, and a sole writer's queued flushes
// share an eventstore.QueueChain, which the store breaks the moment it
// refuses one of them, before it answers (the answer waits for the commit
// of the appends applied with the refused one). The engine reads both
// (two atomic loads) right before every gateway call and every send, as
// well as when Decide, Commit, Record, Flush or AdvanceTo start. So once
// the store has refused a queued flush, or any flush's failure has reached
// the engine, no gateway call is made. (Strictly: a call starts only
// after a look that found neither, so a refusal that falls between that
// look and the call, a few instructions, lets that one call through; it
// is listed like the others.) Charges decided before then (in the failed
// flush's own step, or in steps whose flushes were queued behind it or
// still staged) were made and are not recorded; the FlushError lists
// them by idempotency key.

// errHalted stops a step that was about to act after a flush failed; the
// driver turns it into the flush's error (failure).
var errHalted = errors.New("dunning: stopped: a flush failed")

// errClosedOnConflicts is the error Close stops at when a flush still in
// flight was written but for conflicted batches carrying charges or
// recorded events, which are then not written.
var errClosedOnConflicts = errors.New("dunning: closed with conflicted appends not written")

// UnrecordedCharge is a gateway charge the engine made whose attempt the
// store did not confirm written: it was in the failed flush, in a flush
// queued after it, or still staged when the engine stopped.
type UnrecordedCharge struct {
	// IdempotencyKey is the key the charge was made with,
	// "<invoice id>/<attempt number>".
	IdempotencyKey string
	InvoiceID      string
	AttemptNumber  int
	// Outcome and ChargeID are the gateway's answer.
	Outcome  domain.Outcome
	ChargeID string
}

// FlushError is the failure of a flush, at which the engine stops.
//
// Err is the store's error, matched with errors.Is and errors.As through
// the FlushError: a refused append wraps eventstore.ErrWrongExpectedVersion
// and an *eventstore.BatchError (or names the stream in its message, on a
// store without multi-stream appends). Stream, Expected and Events name the
// append the store refused (for its input, its stream or its expected
// revision; see refusal), on every flush path; they are empty when the
// failure is not such a refusal, for instance an append whose outcome is
// unknown because the context ended or the store was unavailable.
//
// Unrecorded lists the charges the engine made whose attempts are not
// known to be written, oldest first. On a store with multi-stream appends
// (eventstore.BatchAppender, such as the embedded store) none of them is
// written after a refusal: the refused flush is one atomic append, the
// flushes queued behind it are refused with it, and staged decisions were
// never sent. On a store without them (the KurrentDB adapter) a flush
// appends each stream on its own, so streams of the failed flush other
// than the refused one may have been written: the charges whose invoice
// appends the store confirmed are not listed. After a failure of unknown
// outcome (the context ended while the store wrote) some listed may be
// written. Either way they are to be reconciled with the processor by
// idempotency key; an engine restarted on the ledger decides them again
// and charges with the same key, which a processor answers with the first
// outcome (see Gateway).
type FlushError struct {
	Err        error
	Stream     string
	Expected   eventstore.ExpectedRevision
	Events     []string // the refused append's events, "<type> <id>"
	Unrecorded []UnrecordedCharge

	// ctxEnded: the flush failed because the context of the call writing
	// it ended; recorded: what went unwritten carried events another
	// writer recorded (see shutdown).
	ctxEnded, recorded bool
}

func (e *FlushError) Error() string {
	var b strings.Builder
	b.WriteString("dunning: engine stopped: flush failed")
	if e.Stream != "" {
		fmt.Fprintf(&b, " at its append to %s (expecting %v; events %s)", e.Stream, e.Expected, strings.Join(e.Events, ", "))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if n := len(e.Unrecorded); n > 0 {
		const shown = 10
		keys := make([]string, 0, min(n, shown))
		for _, c := range e.Unrecorded[:min(n, shown)] {
			keys = append(keys, c.IdempotencyKey)
		}
		more := ""
		if n > shown {
			more = fmt.Sprintf(" and %d more", n-shown)
		}
		fmt.Fprintf(&b, "; %d charges made are not recorded (reconcile by idempotency key): %s%s", n, strings.Join(keys, ", "), more)
	}
	return b.String()
}

func (e *FlushError) Unwrap() error { return e.Err }

// halted reports, on the engine's goroutine, whether the engine must take
// no further action: a flush in flight has failed, the store has refused
// a queued one, or the engine stopped. It is read right before every
// outside effect.
func (e *Engine) halted() bool { return e.failed.Load() || e.queueChain.Broken() != nil }

// failure returns the error the engine stopped at, if any. Once a flush
// in flight has failed (or the store has refused a queued one) it waits
// for the flushes in flight (the ones before the failed one may still be
// written) and stops.
func (e *Engine) failure(ctx context.Context) error {
	if e.stopErr != nil {
		return e.stopErr
	}
	if !e.halted() {
		return nil
	}
	if err := e.join(ctx); err != nil {
		return err
	}
	// Not reached (a failed flight is in flight until joined, and landing
	// it stops the engine); should it be, the engine stops all the same.
	err := e.queueChain.Broken()
	if err == nil {
		err = errHalted
	}
	e.stopErr = &FlushError{Err: err, Unrecorded: slices.Clone(e.charges)}
	e.failed.Store(true)
	return e.stopErr
}

// halt is the error of a step that met errHalted: the flush's failure.
func (e *Engine) halt(ctx context.Context, err error) error {
	if errors.Is(err, errHalted) {
		if ferr := e.failure(ctx); ferr != nil {
			return ferr
		}
	}
	return err
}

// stop makes err, the failure of flight f (or of taking in its outcome
// on ctx), the engine's error: it waits for the flights after f, and lists
// the charges of every flight that was not written and of the staged
// decisions.
func (e *Engine) stop(ctx context.Context, f *flight, err error) error {
	fe := &FlushError{Err: err}
	if b := f.refused; b != nil && f.err != nil {
		fe.Stream, fe.Expected = b.stream, b.expected
		for _, ev := range b.events {
			fe.Events = append(fe.Events, ev.Type+" "+ev.ID.String())
		}
	}
	if f.err != nil {
		fe.ctxEnded = f.ctxEnded
	} else {
		fe.ctxEnded = ctx.Err() != nil && errors.Is(err, ctx.Err())
	}
	fe.Unrecorded, fe.recorded = unwritten(f)
	for _, g := range e.flights {
		e.await(g)
		e.account(g)
		cs, rec := unwritten(g)
		fe.Unrecorded = append(fe.Unrecorded, cs...)
		fe.recorded = fe.recorded || rec
	}
	fe.Unrecorded = append(fe.Unrecorded, e.charges...)
	fe.recorded = fe.recorded || carriesRecorded(e.order)
	e.flights = nil
	e.stopErr = fe
	e.failed.Store(true)
	return fe
}

// unwritten returns the charges of flight f whose attempts are not known
// to be written, and whether what f left so carried events another writer
// recorded: of a failed flight, those of every batch the store did not
// confirm written (in one commit none is; stream by stream, the appends
// that succeeded before the failure are); of one written but for its
// conflicts (set aside to be re-read, which a stopping engine does not
// do), those of the conflicted invoices.
func unwritten(f *flight) (charges []UnrecordedCharge, recorded bool) {
	left := f.conflicts
	if f.err != nil {
		left = nil
		for _, b := range f.batches {
			if !b.written {
				left = append(left, b)
			}
		}
	}
	for _, c := range f.charges {
		for _, b := range left {
			if b.stream == domain.InvoiceStream(c.InvoiceID) {
				charges = append(charges, c)
				break
			}
		}
	}
	return charges, carriesRecorded(left)
}

// carriesRecorded reports whether any of bs carries events another writer
// recorded (Record).
func carriesRecorded(bs []*batch) bool {
	for _, b := range bs {
		if b.recorded > 0 {
			return true
		}
	}
	return false
}

// await waits for flight f to be answered, adding the time the driver was
// blocked to Stats.FlushWait.
func (e *Engine) await(f *flight) {
	select {
	case <-f.done:
	default:
		waited := time.Now()
		<-f.done
		e.stats.FlushWait += time.Since(waited)
	}
}

// shutdown reports whether the engine stopped only because the context of
// the call that was writing ended (a server shutting down cancels Run's
// context mid-flush): nothing it lists was charged, and no event another
// writer recorded was in what went unwritten. Such a stop loses only the
// engine's own decisions, which a restart takes again from the ledger
// (written or not), so Close logs it instead of reporting a failure.
func (fe *FlushError) shutdown() bool {
	return fe.ctxEnded && len(fe.Unrecorded) == 0 && !fe.recorded
}
