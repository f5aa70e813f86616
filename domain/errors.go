package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel kinds of refusal. Every error a command returns matches exactly
// one of them with errors.Is, so callers (the HTTP API, the engine) can map
// it to a status without parsing text.
var (
	// ErrValidation: the command's input breaks a rule; the error is a
	// *ValidationError naming every failing field.
	ErrValidation = errors.New("validation failed")
	// ErrInvalidTransition: the aggregate's current status does not allow
	// the command (e.g. paying a void invoice, resuming a canceled
	// subscription).
	ErrInvalidTransition = errors.New("invalid state transition")
	// ErrNotFound: the command needs an aggregate that has no events yet.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a create command on an aggregate that exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrArchived: the preset is archived and cannot be edited or assigned.
	ErrArchived = errors.New("preset archived")
	// ErrDefaultPreset: the account default preset cannot be archived.
	ErrDefaultPreset = errors.New("preset is the account default")
	// ErrPlanRequired: a smart preset's retry needs a RetryPlan and none
	// was given; a programming error of the caller, not of the user.
	ErrPlanRequired = errors.New("smart retry needs a retry plan")
)

// FieldError is one failing field: Field is a JSON path relative to the
// command's body ("schedule[2]", "settings.uncollectible_after_days"),
// Code a stable machine string, Detail a sentence for humans.
type FieldError struct {
	Field  string `json:"param"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Stable field error codes.
const (
	CodeRequired          = "required"
	CodeNegative          = "negative"
	CodeOutOfRange        = "out_of_range"
	CodeOneOf             = "one_of"
	CodeMutuallyExclusive = "mutually_exclusive"
	CodeNotAllowed        = "not_allowed"
	CodeDuplicate         = "duplicate"
	CodeInvalid           = "invalid"
	CodeExceedsRemaining  = "exceeds_remaining"
	CodeMismatch          = "mismatch"
)

// ValidationError carries every failing field of a command at once.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Detail + " (" + f.Code + ")"
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Prefixed returns the error with every field nested under prefix, so a
// spec validated on its own can be reported inside a larger body
// ("spec.schedule[2]").
func (e *ValidationError) Prefixed(prefix string) *ValidationError {
	out := &ValidationError{Fields: make([]FieldError, len(e.Fields))}
	for i, f := range e.Fields {
		f.Field = prefix + "." + f.Field
		out.Fields[i] = f
	}
	return out
}

// fieldErrs gathers field errors; err returns nil when none.
type fieldErrs []FieldError

func (fe *fieldErrs) add(field, code, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Code: code, Detail: fmt.Sprintf(format, args...)})
}

func (fe *fieldErrs) require(field, value string) {
	if value == "" {
		fe.add(field, CodeRequired, "must not be empty")
	}
}

func (fe *fieldErrs) nonNegative(field string, v int64) {
	if v < 0 {
		fe.add(field, CodeNegative, "must not be negative, got %d", v)
	}
}

func (fe fieldErrs) err() error {
	if len(fe) == 0 {
		return nil
	}
	return &ValidationError{Fields: fe}
}

// StateError refuses a command because of the aggregate's state. Kind is
// one of the sentinels above; Field names the request field the conflict
// is about, when there is one ("status", "preset_id").
type StateError struct {
	Kind    error
	Subject string // e.g. "invoice in_123"
	Field   string
	Detail  string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Subject, e.Kind, e.Detail)
}

func (e *StateError) Unwrap() error { return e.Kind }

func stateErr(kind error, subject, field, format string, args ...any) error {
	return &StateError{Kind: kind, Subject: subject, Field: field, Detail: fmt.Sprintf(format, args...)}
}
