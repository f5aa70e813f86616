// Package storebench holds the event store's benchmark loops and their raw
// Pebble baselines, shared by `go test -bench` in eventstore/pebble and by
// the "store" suite of `recoup bench`, so both measure the same thing.
//
// Every loop appends synced, ~300-byte JSON events (EventSize), the size
// the targets are stated for.
package storebench
