package eventstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestValidateAppendNamesTheFirstBadEvent(t *testing.T) {
	// Large enough to be checked in parallel: the error must still name
	// the lowest-numbered bad event, whichever goroutine finds it.
	events := make([]EventData, 2000)
	for i := range events {
		events[i] = EventData{Type: "T", Data: []byte(fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", 200)))}
	}
	if err := ValidateAppend("s", 0, events); err != nil {
		t.Fatalf("valid events refused: %v", err)
	}
	for _, bad := range []int{1999, 1500, 700, 3, 0} {
		events[bad].Data = []byte(`{"broken":`)
		err := ValidateAppend("s", 0, events)
		var e *Error
		if !errors.As(err, &e) || e.Field != fmt.Sprintf("events[%d].Data", bad) {
			t.Fatalf("bad event %d: got %v", bad, err)
		}
	}
}

func TestValidateAppendTable(t *testing.T) {
	id := uuid.New()
	ok := EventData{Type: "T", Data: []byte(`{}`)}
	cases := []struct {
		name   string
		stream string
		events []EventData
		field  string
	}{
		{"valid", "invoice-1", []EventData{ok}, ""},
		{"binary data need not be JSON", "s", []EventData{{Type: "T", ContentType: ContentTypeBinary, Data: []byte{0xff}}}, ""},
		{"empty stream", "", []EventData{ok}, "stream"},
		{"tab in stream", "a\tb", []EventData{ok}, "stream"},
		{"invalid UTF-8 stream", "a\xffb", []EventData{ok}, "stream"},
		{"stream too long", strings.Repeat("s", MaxStreamNameLength+1), []EventData{ok}, "stream"},
		{"no events", "s", nil, "events"},
		{"empty type", "s", []EventData{{Data: []byte(`{}`)}}, "events[0].Type"},
		{"control character in type", "s", []EventData{{Type: "A\nB", Data: []byte(`{}`)}}, "events[0].Type"},
		{"empty JSON data", "s", []EventData{{Type: "T"}}, "events[0].Data"},
		{"unknown content type", "s", []EventData{{Type: "T", ContentType: "text/csv", Data: []byte(`a`)}}, "events[0].ContentType"},
		{"too big", "s", []EventData{{Type: "T", ContentType: ContentTypeBinary, Data: make([]byte, MaxEventSize+1)}}, "events[0].Data"},
		{"repeated ID", "s", []EventData{{ID: id, Type: "T", Data: []byte(`1`)}, {ID: id, Type: "T", Data: []byte(`2`)}}, "events[1].ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateAppend(c.stream, 0, c.events)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalidArgument) || e.Field != c.field {
				t.Fatalf("got %v, want invalid %s", err, c.field)
			}
		})
	}
}
