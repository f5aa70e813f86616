package eventstore

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// MaxStreamNameLength bounds a stream name in bytes.
const MaxStreamNameLength = 1024

// ValidateStream checks a stream name: non-empty, valid UTF-8, no control
// characters, at most MaxStreamNameLength bytes. Every backend applies the
// same rules so that a name accepted by one is accepted by all.
func ValidateStream(op, stream string) error {
	switch {
	case stream == "":
		return Invalid(op, stream, "stream", "must not be empty")
	case len(stream) > MaxStreamNameLength:
		return Invalid(op, "", "stream", fmt.Sprintf("longer than %d bytes", MaxStreamNameLength))
	case !utf8.ValidString(stream):
		return Invalid(op, "", "stream", "must be valid UTF-8")
	}
	for _, r := range stream {
		if unicode.IsControl(r) {
			return Invalid(op, "", "stream", fmt.Sprintf("must not contain control characters (found %U)", r))
		}
	}
	return nil
}

// ValidateAppend checks an append before anything is written: the stream
// name, at least one event, a non-empty event type without control
// characters, a known content type, valid JSON data under the JSON content
// type (an empty content type means JSON), data plus metadata within
// maxEventSize bytes (MaxEventSize when 0), and no event ID repeated within
// the append. The error names the offending field, e.g. "events[2].Data".
func ValidateAppend(stream string, maxEventSize int, events []EventData) error {
	if err := ValidateStream("append", stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return Invalid("append", stream, "events", "at least one event is required")
	}
	if maxEventSize <= 0 {
		maxEventSize = MaxEventSize
	}
	if err := validateEvents(stream, maxEventSize, events); err != nil {
		return err
	}
	var seen map[uuid.UUID]int
	if len(events) > 1 {
		seen = make(map[uuid.UUID]int, len(events))
	}
	for i := range events {
		if seen == nil || events[i].ID == uuid.Nil {
			continue
		}
		if j, dup := seen[events[i].ID]; dup {
			return Invalid("append", stream, fmt.Sprintf("events[%d].ID", i), fmt.Sprintf("repeats the ID of events[%d]", j))
		}
		seen[events[i].ID] = i
	}
	return nil
}

// parallelValidateBytes is the data size from which an append's events
// are checked by several goroutines: JSON validation dominates the cost of
// a bulk append, and it splits cleanly.
const parallelValidateBytes = 128 << 10

// validateEvents checks each event and returns the error of the
// lowest-numbered bad one.
func validateEvents(stream string, maxEventSize int, events []EventData) error {
	total := 0
	for i := range events {
		total += len(events[i].Data)
	}
	workers := min(runtime.GOMAXPROCS(0), len(events)/32)
	if total < parallelValidateBytes || workers < 2 {
		return validateRange(stream, maxEventSize, events, 0, len(events))
	}
	errs := make([]error, workers)
	chunk := (len(events) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() {
			errs[w] = validateRange(stream, maxEventSize, events, w*chunk, min((w+1)*chunk, len(events)))
		})
	}
	errs[0] = validateRange(stream, maxEventSize, events, 0, min(chunk, len(events))) // the caller takes the first chunk
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func validateRange(stream string, maxEventSize int, events []EventData, from, to int) error {
	for i := from; i < to; i++ {
		if err := validateEvent(stream, i, maxEventSize, &events[i]); err != nil {
			return err
		}
	}
	return nil
}

func validateEvent(stream string, i, maxEventSize int, e *EventData) error {
	field := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
	if e.Type == "" {
		return Invalid("append", stream, field("Type"), "must not be empty")
	}
	for _, r := range e.Type {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return Invalid("append", stream, field("Type"), "must be valid UTF-8 without control characters")
		}
	}
	if size := len(e.Data) + len(e.Metadata); size > maxEventSize {
		return Invalid("append", stream, field("Data"), fmt.Sprintf("data plus metadata is %d bytes, over the limit of %d", size, maxEventSize))
	}
	switch e.ContentType {
	case "", ContentTypeJSON:
		if !json.Valid(e.Data) {
			return Invalid("append", stream, field("Data"), "not valid JSON under content type "+ContentTypeJSON)
		}
	case ContentTypeBinary:
	default:
		return Invalid("append", stream, field("ContentType"), fmt.Sprintf("%q is not %q or %q", e.ContentType, ContentTypeJSON, ContentTypeBinary))
	}
	return nil
}

// ValidateMetadata checks stream metadata: MaxCount at least 1 and MaxAge
// positive when set.
func ValidateMetadata(stream string, m StreamMetadata) error {
	if err := ValidateStream("set metadata", stream); err != nil {
		return err
	}
	if m.MaxCount != nil && *m.MaxCount == 0 {
		return Invalid("set metadata", stream, "MaxCount", "must be at least 1 when set")
	}
	if m.MaxAge != nil && *m.MaxAge <= 0 {
		return Invalid("set metadata", stream, "MaxAge", "must be positive when set")
	}
	return nil
}
