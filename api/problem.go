package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Problem is an RFC 9457 problem document, extended as Recoup's API
// conventions ask: Code is a stable machine string, Param the offending
// field as a JSON path, and Errors every failing field of a validation.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code"`
	Param  string       `json:"param,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`

	// retryAfter, when set, is sent as the Retry-After header (seconds).
	retryAfter int
}

// FieldError is one failing field of a request.
type FieldError struct {
	Param  string `json:"param"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Error implements error so that handlers can return problems.
func (p *Problem) Error() string {
	if p.Param != "" {
		return fmt.Sprintf("%d %s: %s: %s", p.Status, p.Code, p.Param, p.Detail)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

// ProblemTypePrefix prefixes every problem type URI; the suffix is the
// problem's code, so clients may switch on either.
const ProblemTypePrefix = "urn:recoup:problem:"

// Stable problem codes that are not field validation codes.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeInvalidType          = "invalid_type"
	CodeUnknownField         = "unknown_field"
	CodeTrailingData         = "trailing_data"
	CodeBodyRequired         = "body_required"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMedia     = "unsupported_media_type"
	CodeValidationFailed     = "validation_failed"
	CodeRequired             = "required"
	CodeOutOfRange           = "out_of_range"
	CodeInvalidValue         = "invalid_value"
	CodeUnauthenticated      = "api_key_missing"
	CodeInvalidAPIKey        = "api_key_invalid"
	CodeForbidden            = "insufficient_scope"
	CodeNotFound             = "resource_missing"
	CodeRouteNotFound        = "route_not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeRateLimited          = "rate_limited"
	CodeIdempotencyReused    = "idempotency_key_reused"
	CodeIdempotencyInFlight  = "idempotency_request_in_progress"
	CodeIdempotencyKeyBad    = "idempotency_key_invalid"
	CodeConflict             = "conflict"
	CodeTimeout              = "request_timeout"
	CodeUnavailable          = "service_unavailable"
	CodeNotReady             = "not_ready"
	CodeInternal             = "internal_error"
	CodeFeatureNotConfigured = "not_configured"
)

func newProblem(status int, code, param, detail string) *Problem {
	return &Problem{
		Type:   ProblemTypePrefix + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
		Param:  param,
	}
}

// badRequest is a 400 naming one field.
func badRequest(code, param, detail string) *Problem {
	return newProblem(http.StatusBadRequest, code, param, detail)
}

func notFound(param, detail string) *Problem {
	return newProblem(http.StatusNotFound, CodeNotFound, param, detail)
}

// validationProblem reports every failing field at once; the first one
// also fills Param so that single-field clients still find it.
func validationProblem(errs []FieldError) *Problem {
	p := newProblem(http.StatusBadRequest, CodeValidationFailed, "", "")
	p.Errors = errs
	if len(errs) > 0 {
		p.Param = errs[0].Param
		p.Detail = errs[0].Param + ": " + errs[0].Detail
		if len(errs) > 1 {
			p.Detail += fmt.Sprintf(" (and %d more; see errors)", len(errs)-1)
		}
	}
	return p
}

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	w.WriteHeader(p.Status)
	_ = encode(w, p)
}

// asProblem turns any handler error into a problem: problems pass through,
// typed errors of the packages below map to their status, and anything
// else is a 500 that does not leak internals.
func asProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if p := mapDomainError(err); p != nil {
		return p
	}
	if errors.Is(err, errDeadline) {
		return newProblem(http.StatusServiceUnavailable, CodeTimeout, "", "the request took longer than the server allows")
	}
	return newProblem(http.StatusInternalServerError, CodeInternal, "", "an internal error occurred; it has been logged")
}
