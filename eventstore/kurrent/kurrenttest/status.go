package kurrenttest

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// Trailer keys and values KurrentDB sets on its errors.
const (
	trailerException      = "exception"
	trailerStreamName     = "stream-name"
	trailerExpected       = "expected-version"
	trailerActual         = "actual-version"
	exceptionDeleted      = "stream-deleted"
	exceptionWrongVersion = "wrong-expected-version"
	exceptionNotFound     = "stream-not-found"
)

// statusError encodes a store error as the status (and trailers) a real
// server sends for the same condition, so that the client decodes it the
// same way. op names the operation in the server's words ("Append",
// "Delete"). Errors the protocol answers in the response body (an
// append's wrong expected version, a read's missing stream) are handled by
// the callers before this.
func statusError(ctx context.Context, op, stream string, expected eventstore.ExpectedRevision, err error) error {
	var wev *eventstore.WrongExpectedVersionError
	switch {
	case errors.As(err, &wev):
		actual := int64(-1)
		if wev.Current.Exists {
			actual = int64(wev.Current.Revision)
		}
		exp := expectedAsLong(expected)
		setTrailer(ctx, trailerException, exceptionWrongVersion, trailerStreamName, stream,
			trailerExpected, fmt.Sprint(exp), trailerActual, fmt.Sprint(actual))
		return status.Errorf(codes.FailedPrecondition,
			"%s failed due to WrongExpectedVersion. Stream: %s, Expected version: %d, Actual version: %d", op, stream, exp, actual)
	case errors.Is(err, eventstore.ErrStreamDeleted):
		setTrailer(ctx, trailerException, exceptionDeleted, trailerStreamName, stream)
		return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
	case errors.Is(err, eventstore.ErrStreamNotFound):
		setTrailer(ctx, trailerException, exceptionNotFound, trailerStreamName, stream)
		return status.Errorf(codes.NotFound, "Event stream '%s' is not found.", stream)
	case errors.Is(err, eventstore.ErrInvalidArgument):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, eventstore.ErrClosed), errors.Is(err, eventstore.ErrUnavailable):
		return status.Error(codes.Unavailable, "Server Is Not Ready")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

func setTrailer(ctx context.Context, kv ...string) {
	// A failure here only loses detail the client would have decoded;
	// the status itself still goes out.
	_ = grpc.SetTrailer(ctx, metadata.Pairs(kv...))
}
