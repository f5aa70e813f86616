package kurrent

import (
	"context"
	"errors"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// FuzzMapError feeds arbitrary server statuses and client messages (outside
// input the adapter parses) through the mapping: it never panics, always
// keeps the operation's context, and a wrong expected version always names
// the caller's expected revision.
func FuzzMapError(f *testing.F) {
	f.Add(uint32(codes.FailedPrecondition), "Delete failed due to WrongExpectedVersion. Stream: s, Expected version: 1, Actual version: 2")
	f.Add(uint32(codes.FailedPrecondition), "WrongExpectedVersion Expected version: -1, Actual version: ")
	f.Add(uint32(codes.FailedPrecondition), "Event stream 's' is deleted.")
	f.Add(uint32(codes.Unknown), "wrong expected version: expecting '3' but got 'no_stream'")
	f.Add(uint32(codes.Unavailable), "")
	f.Add(uint32(codes.InvalidArgument), "Maximum Append Size of 1048576 Exceeded.")
	f.Fuzz(func(t *testing.T, code uint32, msg string) {
		fl := failure{op: "delete", stream: "invoice-1", expected: eventstore.Exact(7)}
		raw := status.Error(codes.Code(code%16+1), msg) // not OK: OK is no error
		wrapped, _ := esdb.FromError(raw)
		for _, in := range []error{raw, wrapped, errors.New(msg)} {
			got := mapError(context.Background(), fl, in)
			if (got == nil) != (in == nil) {
				t.Fatalf("mapError(%v) = %v", in, got)
			}
			var wev *eventstore.WrongExpectedVersionError
			if errors.As(got, &wev) && (wev.Expected != fl.expected || wev.Stream != fl.stream) {
				t.Fatalf("wrong expected version lost the caller's: %+v", wev)
			}
		}
		_ = wrongVersionFromAppend(fl, errors.New(msg))
		_, _ = parseCurrent(msg)
	})
}
