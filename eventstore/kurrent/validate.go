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
	if err := eventstore.ValidateStream(op, stream); err != nil {
		return err
	}
	if strings.HasPrefix(stream, "$") {
		return eventstore.Invalid(op, stream, "stream", `names starting with "$" are reserved for KurrentDB system streams`)
	}
	return nil
}

// validateAppend checks an append before anything is sent, with the same
// rules (and the same field names in errors) as the embedded store.
func validateAppend(stream string, events []eventstore.EventData) error {
	if err := validateStream("append", stream); err != nil {
		return err
	}
	return eventstore.ValidateAppend(stream, 0, events)
}

func validateMetadata(stream string, m eventstore.StreamMetadata) error {
	if err := validateStream("set metadata", stream); err != nil {
		return err
	}
	return eventstore.ValidateMetadata(stream, m)
}
