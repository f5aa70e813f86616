package domain

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

// scenario is one Given(events) / When(command) / Then(events or error)
// case for an aggregate A.
type scenario[A any] struct {
	name   string
	given  []Event
	when   func(A) ([]Event, error)
	then   []Event
	err    error    // a sentinel the error must match with errors.Is
	fields []string // for validation errors: every failing field, in order
}

func runScenarios[A any](t *testing.T, rebuild func([]Event) A, cases []scenario[A]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			agg := rebuild(c.given)
			before := rebuild(c.given)
			got, err := c.when(agg)
			if !reflect.DeepEqual(agg, before) {
				t.Fatalf("the command changed the aggregate:\n got %+v\nwant %+v", agg, before)
			}
			checkErr(t, err, c.err, c.fields)
			if c.err != nil {
				if got != nil {
					t.Fatalf("refused command returned events %v", got)
				}
				return
			}
			if !reflect.DeepEqual(got, c.then) {
				t.Fatalf("events:\n got %#v\nwant %#v", got, c.then)
			}
		})
	}
}

func checkErr(t *testing.T, err, want error, fields []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want one matching %v", err, want)
	}
	if fields == nil {
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	var got []string
	for _, f := range ve.Fields {
		if f.Code == "" || f.Detail == "" {
			t.Errorf("field error %+v lacks a code or detail", f)
		}
		got = append(got, f.Field)
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("failing fields %v, want %v (%v)", got, fields, err)
	}
}
