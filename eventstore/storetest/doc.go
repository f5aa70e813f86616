// Package storetest is the contract suite every eventstore.Store passes.
//
// Run(t, newStore) runs one test body per semantic of the interface against
// a fresh store from newStore. The suite is backend-neutral: it runs on the
// embedded Pebble store and on a KurrentDB server, so it
//   - names every stream and event type with a random per-test prefix and
//     looks at $all only through those names (a server's $all holds other
//     tests' events and system events),
//   - never assumes positions are contiguous, only that they increase,
//   - assumes the store's event size limit is eventstore.MaxEventSize.
//
// newStore must register the store's cleanup (t.Cleanup); the suite may
// Close a store itself first, so Close must tolerate a second call.
package storetest
