package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// failure describes the operation an error came from, so that the mapped
// error names it.
type failure struct {
	op       string
	stream   string
	expected eventstore.ExpectedRevision // meaningful for writes only
}

// mapError turns an error from the client into the store's typed errors.
// The client wraps its *esdb.Error in fmt.Errorf chains (and esdb.FromError
// only looks at the outermost error), so it is found with errors.As; raw
// gRPC status errors (the client returns some unwrapped, for example when
// a read cannot be started) are classified by their status code.
func mapError(ctx context.Context, f failure, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s %s: %w", f.op, f.stream, cerr)
	}
	var ee *esdb.Error
	if errors.As(err, &ee) && ee != nil {
		switch ee.Code() {
		case esdb.ErrorCodeResourceNotFound:
			return typed(f, eventstore.ErrStreamNotFound, err)
		case esdb.ErrorCodeStreamDeleted:
			return typed(f, eventstore.ErrStreamDeleted, err)
		case esdb.ErrorCodeWrongExpectedVersion:
			return wrongVersionFromAppend(f, err)
		case esdb.ErrorUnavailable, esdb.ErrorCodeNotLeader, esdb.ErrorAborted,
			esdb.ErrorCodeDeadlineExceeded, esdb.ErrorCodeConnectionClosed:
			return typed(f, eventstore.ErrUnavailable, err)
		case esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated:
			return fmt.Errorf("%s %s: KurrentDB refused the credentials: %w", f.op, f.stream, err)
		}
	}
	if errors.Is(err, io.EOF) {
		// gRPC's Send reports a stream the other side ended as io.EOF,
		// and the client does not read the status that would say why:
		// the connection went away mid-call, and the outcome is unknown.
		return typed(f, eventstore.ErrUnavailable, err)
	}
	return mapStatus(f, err)
}

// mapStatus classifies an error by its gRPC status, which is how the
// server reports what the client does not decode itself: a delete's or
// tombstone's wrong expected version (FailedPrecondition), an oversized
// append (InvalidArgument), a lost or refused connection (Unavailable).
func mapStatus(f failure, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s %s: %w", f.op, f.stream, err)
	}
	switch st.Code() {
	case codes.FailedPrecondition:
		if wev, ok := wrongVersionFromStatus(f, st.Message()); ok {
			return wev
		}
		if deletedPattern.MatchString(st.Message()) {
			return typed(f, eventstore.ErrStreamDeleted, err)
		}
	case codes.NotFound:
		return typed(f, eventstore.ErrStreamNotFound, err)
	case codes.InvalidArgument:
		return &eventstore.Error{Op: f.op, Stream: f.stream, Detail: st.Message(), Err: eventstore.ErrInvalidArgument}
	case codes.Unavailable, codes.Aborted, codes.DeadlineExceeded, codes.ResourceExhausted:
		return typed(f, eventstore.ErrUnavailable, err)
	case codes.Canceled:
		// The call was cancelled without the caller's context ending: the
		// connection under it went away.
		return typed(f, eventstore.ErrUnavailable, err)
	}
	return fmt.Errorf("%s %s: %w", f.op, f.stream, err)
}

// typed builds the store's error around sentinel, keeping the client's
// message as detail.
func typed(f failure, sentinel error, cause error) error {
	return &eventstore.Error{Op: f.op, Stream: f.stream, Detail: cause.Error(), Err: sentinel}
}

// retryable reports whether err means the connection is in doubt, so the
// session it came from should be replaced.
func retryable(err error) bool {
	return errors.Is(err, eventstore.ErrUnavailable)
}

// appendWEV matches the message the client builds from an append's
// WrongExpectedVersion response: "expecting 'E' but got 'C'".
var appendWEV = regexp.MustCompile(`expecting '([^']*)' but got '([^']*)'`)

func wrongVersionFromAppend(f failure, err error) error {
	wev := &eventstore.WrongExpectedVersionError{Stream: f.stream, Expected: f.expected}
	m := appendWEV.FindStringSubmatch(err.Error())
	if m == nil {
		return &eventstore.Error{Op: f.op, Stream: f.stream, Detail: err.Error(), Err: wev}
	}
	cur, ok := parseCurrent(m[2])
	if !ok {
		return &eventstore.Error{Op: f.op, Stream: f.stream, Detail: err.Error(), Err: wev}
	}
	wev.Current = cur
	return wev
}

// statusWEV matches the server's message for a delete or tombstone with a
// wrong expected version: "... WrongExpectedVersion. Stream: S, Expected
// version: E, Actual version: A" (A may be empty).
var statusWEV = regexp.MustCompile(`WrongExpectedVersion.*Expected version: (-?\d+), Actual version: (-?\d*)`)

// deletedPattern matches the server's "stream is deleted" message for the
// cases where the client did not recognise its trailer.
var deletedPattern = regexp.MustCompile(`is deleted`)

func wrongVersionFromStatus(f failure, msg string) (error, bool) {
	m := statusWEV.FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	wev := &eventstore.WrongExpectedVersionError{Stream: f.stream, Expected: f.expected}
	if cur, ok := parseCurrent(m[2]); ok {
		wev.Current = cur
		return wev, true
	}
	return &eventstore.Error{Op: f.op, Stream: f.stream, Detail: msg, Err: wev}, true
}

// parseCurrent reads a current revision as the client or the server
// prints it: "no_stream" or a negative number for a stream without
// events, otherwise the revision.
func parseCurrent(s string) (eventstore.CurrentRevision, bool) {
	if s == "no_stream" {
		return eventstore.CurrentRevision{}, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return eventstore.CurrentRevision{}, false
	}
	if n < 0 {
		return eventstore.CurrentRevision{}, true
	}
	return eventstore.CurrentRevision{Revision: uint64(n), Exists: true}, true
}
