package api

import (
	"errors"
	"net/http"

	"github.com/recoupledger/recoup/domain"
)

// mapDomainError maps typed errors of the packages below the API to
// problems; nil means the error is not one of them.
func mapDomainError(err error) *Problem {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		fs := make([]FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			fs[i] = FieldError{Param: f.Field, Code: f.Code, Detail: f.Detail}
		}
		return validationProblem(fs)
	}
	var se *domain.StateError
	if errors.As(err, &se) {
		detail := se.Detail
		if se.Subject != "" {
			detail = se.Subject + ": " + detail
		}
		switch {
		case errors.Is(se.Kind, domain.ErrNotFound):
			return newProblem(http.StatusNotFound, CodeNotFound, se.Field, detail)
		case errors.Is(se.Kind, domain.ErrAlreadyExists):
			return newProblem(http.StatusConflict, "resource_already_exists", se.Field, detail)
		case errors.Is(se.Kind, domain.ErrArchived):
			return newProblem(http.StatusConflict, "preset_archived", se.Field, detail)
		case errors.Is(se.Kind, domain.ErrDefaultPreset):
			return newProblem(http.StatusConflict, "preset_is_default", se.Field, detail)
		default:
			return newProblem(http.StatusConflict, "invalid_state_transition", se.Field, detail)
		}
	}
	if p := storeProblem(err); p != nil {
		return p
	}
	return nil
}
