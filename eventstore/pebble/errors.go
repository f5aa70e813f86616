package pebble

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
)

// storageError wraps an error from Pebble. Pebble's own corruption
// findings (a block or file failing its checksum) are corrupt records to
// our callers, like a record failing ours.
func storageError(op, stream string, err error) error {
	if err == nil {
		return nil
	}
	if pebble.IsCorruptionError(err) {
		return &eventstore.Error{Op: op, Stream: stream, Detail: err.Error(), Err: eventstore.ErrCorruptRecord}
	}
	if stream != "" {
		return fmt.Errorf("%s %s: %w", op, stream, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
