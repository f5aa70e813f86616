package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// TestMapErrorStatus covers the errors the client leaves undecoded (it
// wraps them as esdb.ErrorCodeUnknown, or returns the raw status), in the
// shapes the client produces them: raw, inside *esdb.Error, and inside
// the client's own fmt.Errorf wrapping.
func TestMapErrorStatus(t *testing.T) {
	deleteWEV := status.Error(codes.FailedPrecondition,
		"Delete failed due to WrongExpectedVersion. Stream: invoice-1, Expected version: 1, Actual version: 2")
	deleteWEVNoStream := status.Error(codes.FailedPrecondition,
		"Delete failed due to WrongExpectedVersion. Stream: invoice-1, Expected version: -4, Actual version: -1")
	deleteWEVUnknown := status.Error(codes.FailedPrecondition,
		"Delete failed due to WrongExpectedVersion. Stream: invoice-1, Expected version: 3, Actual version: ")
	cases := []struct {
		name     string
		err      error
		expected eventstore.ExpectedRevision
		want     error
		current  *eventstore.CurrentRevision // checked for wrong expected versions
	}{
		{"delete wrong version", deleteWEV, eventstore.Exact(1), eventstore.ErrWrongExpectedVersion, &eventstore.CurrentRevision{Revision: 2, Exists: true}},
		{"delete wrong version, no stream", deleteWEVNoStream, eventstore.StreamExists, eventstore.ErrWrongExpectedVersion, &eventstore.CurrentRevision{}},
		{"delete wrong version, actual not given", deleteWEVUnknown, eventstore.Exact(3), eventstore.ErrWrongExpectedVersion, nil},
		{"stream deleted without trailer", status.Error(codes.FailedPrecondition, "Event stream 'invoice-1' is deleted."), eventstore.Any, eventstore.ErrStreamDeleted, nil},
		{"not found", status.Error(codes.NotFound, "Event stream 'invoice-1' is not found."), eventstore.Any, eventstore.ErrStreamNotFound, nil},
		{"oversized append", status.Error(codes.InvalidArgument, "Maximum Append Size of 1048576 Exceeded."), eventstore.Any, eventstore.ErrInvalidArgument, nil},
		{"server not ready", status.Error(codes.Unavailable, "Server Is Not Ready"), eventstore.Any, eventstore.ErrUnavailable, nil},
		{"server timeout", status.Error(codes.Aborted, "Operation timed out: commit"), eventstore.Any, eventstore.ErrUnavailable, nil},
		{"deadline of the client's own", status.Error(codes.DeadlineExceeded, "deadline"), eventstore.Any, eventstore.ErrUnavailable, nil},
		{"connection cancelled under the call", status.Error(codes.Canceled, "context canceled"), eventstore.Any, eventstore.ErrUnavailable, nil},
		{"too busy", status.Error(codes.ResourceExhausted, "busy"), eventstore.Any, eventstore.ErrUnavailable, nil},
		{"stream ended under a send", fmt.Errorf("could not send append request: %w", io.EOF), eventstore.Any, eventstore.ErrUnavailable, nil},
	}
	wraps := []struct {
		name string
		wrap func(error) error
	}{
		{"raw", func(e error) error { return e }},
		{"esdb", func(e error) error { ee, _ := esdb.FromError(e); return ee }},
		{"esdb wrapped", func(e error) error {
			ee, _ := esdb.FromError(e)
			return fmt.Errorf("failed to perform delete, details: %w", ee)
		}},
	}
	for _, c := range cases {
		for _, w := range wraps {
			t.Run(c.name+"/"+w.name, func(t *testing.T) {
				got := mapError(context.Background(), failure{op: "delete", stream: "invoice-1", expected: c.expected}, w.wrap(c.err))
				if !errors.Is(got, c.want) {
					t.Fatalf("mapped to %v, want %v", got, c.want)
				}
				var wev *eventstore.WrongExpectedVersionError
				if c.want == eventstore.ErrWrongExpectedVersion {
					if !errors.As(got, &wev) || wev.Expected != c.expected || wev.Stream != "invoice-1" {
						t.Fatalf("%v does not name stream and expected %s", got, c.expected)
					}
					if c.current != nil && wev.Current != *c.current {
						t.Fatalf("current %s, want %s", wev.Current, *c.current)
					}
				}
			})
		}
	}
}

// TestMapErrorContext checks that an ended context wins over whatever the
// call reported, so callers see context.Canceled, not ErrUnavailable.
func TestMapErrorContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := mapError(ctx, failure{op: "append", stream: "s"}, status.Error(codes.Canceled, "context canceled"))
	if !errors.Is(got, context.Canceled) || errors.Is(got, eventstore.ErrUnavailable) {
		t.Fatalf("mapped to %v, want context.Canceled only", got)
	}
	if mapError(ctx, failure{}, nil) != nil {
		t.Fatal("nil error mapped to non-nil")
	}
}

// TestWrongVersionFromAppend parses the message the client builds from an
// append's WrongExpectedVersion response body.
func TestWrongVersionFromAppend(t *testing.T) {
	cases := []struct {
		msg     string
		current eventstore.CurrentRevision
		parsed  bool
	}{
		{"wrong expected version: expecting '3' but got '5'", eventstore.CurrentRevision{Revision: 5, Exists: true}, true},
		{"wrong expected version: expecting 'stream_exists' but got 'no_stream'", eventstore.CurrentRevision{}, true},
		{"wrong expected version: expecting 'no_stream' but got '0'", eventstore.CurrentRevision{Revision: 0, Exists: true}, true},
		{"wrong expected version", eventstore.CurrentRevision{}, false},
	}
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			err := wrongVersionFromAppend(failure{op: "append", stream: "s", expected: eventstore.Exact(3)}, errors.New(c.msg))
			var wev *eventstore.WrongExpectedVersionError
			if !errors.As(err, &wev) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("%v is not a wrong expected version", err)
			}
			if c.parsed && wev.Current != c.current {
				t.Fatalf("current %s, want %s", wev.Current, c.current)
			}
			if !c.parsed && !errors.As(err, new(*eventstore.Error)) {
				t.Fatalf("unparsed message lost: %v", err)
			}
		})
	}
}

func TestSearchWindow(t *testing.T) {
	for _, n := range []int{1, 2, 7, 32, 1000, 1001, 4096, 999983 /* prime */} {
		w, m := searchWindow(n)
		if w < 1 || w > 1000 || m < 1 || w*m != n {
			t.Fatalf("searchWindow(%d) = %d × %d", n, w, m)
		}
	}
}

func TestIsSystem(t *testing.T) {
	cases := []struct {
		stream, typ string
		want        bool
	}{
		{"invoice-1", "InvoicePaid", false},
		{"$$invoice-1", "$metadata", true},
		{"$stats-127.0.0.1:2113", "$statsCollected", true},
		{"invoice-1", "$streamDeleted", true},
		{"$settings", "update", true},
		{"in$voice", "Pa$d", false},
	}
	for _, c := range cases {
		if got := isSystem(c.stream, c.typ); got != c.want {
			t.Errorf("isSystem(%q, %q) = %v, want %v", c.stream, c.typ, got, c.want)
		}
	}
}
