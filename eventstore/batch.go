package eventstore

import (
	"context"
	"fmt"
)

// AppendRequest is one stream's part of a multi-stream append: the same
// arguments as Store.Append.
type AppendRequest struct {
	Stream   string
	Expected ExpectedRevision
	Events   []EventData
}

// BatchAppender is implemented by stores that can append to several
// streams in one atomic commit (the embedded store does; KurrentDB's
// client cannot). AppendBatch checks every request first (input as
// ValidateAppend, then expected revisions and event-ID repeats in request
// order, each request seeing the heads the requests before it leave), and
// then writes all of them, in the given order, in one commit: either every
// request is written or none is. Its events take consecutive positions in
// $all in request order. A request whose event IDs were all appended
// before, as a whole, writes nothing and reports the original result, as
// in Append; the others are still written. The error of a refused batch
// is a *BatchError naming the request. Results are in request order.
type BatchAppender interface {
	AppendBatch(ctx context.Context, reqs []AppendRequest) ([]AppendResult, error)
}

// BatchError reports which request of a multi-stream append failed. Err
// is the error Append would have returned for that request (for example
// a *WrongExpectedVersionError or an invalid-argument *Error naming the
// field); match it with errors.Is and errors.As through the BatchError.
type BatchError struct {
	Index  int
	Stream string
	Err    error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("append batch: requests[%d] (stream %s): %v", e.Index, e.Stream, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// ValidateBatch checks every request of a multi-stream append with
// ValidateAppend and returns the first failure as a *BatchError.
func ValidateBatch(maxEventSize int, reqs []AppendRequest) error {
	for i := range reqs {
		if err := ValidateAppend(reqs[i].Stream, maxEventSize, reqs[i].Events); err != nil {
			return &BatchError{Index: i, Stream: reqs[i].Stream, Err: err}
		}
	}
	return nil
}

// AppendAll appends reqs in order: in one atomic commit through
// AppendBatch when store implements BatchAppender, and otherwise with one
// Append per request, in order, stopping at the first failure. That
// fallback (used with KurrentDB) is not atomic: the requests before the
// failed one stay written (their results are returned), although input
// is checked for every request (ValidateAppend with the default size
// limit) before the first is sent. Either way a failure is a *BatchError naming
// the request, and re-sending the same requests after a failure or an
// unknown outcome is safe when every event carries a caller-set ID
// (requests already written repeat nothing).
func AppendAll(ctx context.Context, store Store, reqs []AppendRequest) ([]AppendResult, error) {
	if b, ok := store.(BatchAppender); ok {
		return b.AppendBatch(ctx, reqs)
	}
	if err := ValidateBatch(0, reqs); err != nil {
		return nil, err
	}
	out := make([]AppendResult, len(reqs))
	for i, r := range reqs {
		res, err := store.Append(ctx, r.Stream, r.Expected, r.Events...)
		if err != nil {
			return out[:i], &BatchError{Index: i, Stream: r.Stream, Err: err}
		}
		out[i] = res
	}
	return out, nil
}
