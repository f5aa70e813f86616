package eventstore

import (
	"errors"
	"fmt"
)

// Sentinel errors; match them with errors.Is.
var (
	ErrWrongExpectedVersion = errors.New("wrong expected version")
	ErrStreamNotFound       = errors.New("stream not found")
	ErrStreamDeleted        = errors.New("stream deleted")
	ErrCorruptRecord        = errors.New("corrupt record")
	ErrInvalidArgument      = errors.New("invalid argument")
	// ErrUnavailable marks a transient failure (for example a lost
	// connection); the operation may be retried.
	ErrUnavailable        = errors.New("store unavailable")
	ErrClosed             = errors.New("store closed")
	ErrSubscriptionClosed = errors.New("subscription closed")
)

// Error is the store's typed error: an operation on a subject failed for
// a reason matched by Err (one of the sentinels).
type Error struct {
	Op     string // "append", "read", "subscribe", ...
	Stream string // the stream, if any
	Field  string // for ErrInvalidArgument: the offending field
	Detail string
	Err    error
}

func (e *Error) Error() string {
	msg := e.Op
	if e.Stream != "" {
		msg += " " + e.Stream
	}
	msg += ": " + e.Err.Error()
	if e.Field != "" {
		msg += ": " + e.Field
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// WrongExpectedVersionError names the expected and the current revision.
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedRevision
	Current  CurrentRevision
}

func (e *WrongExpectedVersionError) Error() string {
	return fmt.Sprintf("append %s: wrong expected version: expected %s, current %s", e.Stream, e.Expected, e.Current)
}

func (e *WrongExpectedVersionError) Is(target error) bool { return target == ErrWrongExpectedVersion }

// Invalid returns an ErrInvalidArgument error naming field.
func Invalid(op, stream, field, detail string) error {
	return &Error{Op: op, Stream: stream, Field: field, Detail: detail, Err: ErrInvalidArgument}
}
