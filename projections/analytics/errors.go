package analytics

import (
	"errors"
	"fmt"
)

// Errors of queries; match them with errors.Is.
var (
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrRefused marks ad-hoc SQL that tries to do more than read.
	ErrRefused = errors.New("refused")
)

// ArgumentError names the query option that broke a rule.
type ArgumentError struct {
	Field string
	Rule  string
}

func (e *ArgumentError) Error() string { return fmt.Sprintf("analytics: %s: %s", e.Field, e.Rule) }

// Is makes ArgumentError match ErrInvalidArgument.
func (e *ArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

// RefusedError explains why ad-hoc SQL was not run.
type RefusedError struct {
	Reason string
	Err    error // DuckDB's own error, when it is the one that refused
}

func (e *RefusedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("refused: %s (%v)", e.Reason, e.Err)
	}
	return "refused: " + e.Reason
}

// Is makes RefusedError match ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

func (e *RefusedError) Unwrap() error { return e.Err }
