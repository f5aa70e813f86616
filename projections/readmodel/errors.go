package readmodel

import (
	"errors"
	"fmt"
)

// Errors of queries; match them with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrInvalidArgument = errors.New("invalid argument")
)

// ArgumentError names the query parameter that broke a rule.
type ArgumentError struct {
	Field string
	Rule  string
}

func (e *ArgumentError) Error() string {
	return fmt.Sprintf("readmodel: %s: %s", e.Field, e.Rule)
}

// Is makes ArgumentError match ErrInvalidArgument.
func (e *ArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

// NotFoundError names the missing object.
type NotFoundError struct {
	Kind string
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("readmodel: no such %s: %q", e.Kind, e.ID) }

// Is makes NotFoundError match ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
