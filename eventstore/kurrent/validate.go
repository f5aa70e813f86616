package kurrent

import (
	"strings"

	"github.com/recoupledger/recoup/eventstore"
)

// validateStream applies the rules every backend shares, plus one of
// KurrentDB's: names starting with "$" belong to the server's system
// streams (writing them needs administrator rights, and this store hides
// them from reads of $all), so they are refused up front.
func validateStream(op, stream string) error {
	if stream == "" {
		return eventstore.Invalid(op, stream, "stream", "must not be empty")
	}
	if strings.HasPrefix(stream, "$") {
		return eventstore.Invalid(op, stream, "stream", `names starting with "$" are reserved for KurrentDB system streams`)
	}
	return nil
}

func validateAppend(stream string, events []eventstore.EventData) error {
	if err := validateStream("append", stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return eventstore.Invalid("append", stream, "events", "at least one event is required")
	}
	return nil
}

func validateMetadata(stream string, _ eventstore.StreamMetadata) error {
	return validateStream("set metadata", stream)
}
