// Package kurrent is eventstore.Store on KurrentDB (formerly EventStoreDB),
// a replicated event store, through its official Go client
// (github.com/EventStore/EventStore-Client-Go/v4, package esdb).
//
// # Mapping
//
// The store's semantics were modelled on KurrentDB's, so most operations
// map one to one: Append is AppendToStream with the expected revision and
// an explicit ID on every event (a zero ID gets a random one here, never
// in the client, so a retry carries the same IDs and the server recognises
// it as a repeat); ReadStream and ReadAll are the client's reads; Delete
// and Tombstone are DeleteStream and TombstoneStream; metadata lives in
// the "$$stream" metadata stream, whose revision the expected revision of
// SetStreamMetadata is checked against (max-age travels in whole seconds,
// so a fractional one is refused).
//
// KurrentDB's $all also holds the server's own events (system streams
// starting with "$", event types starting with "$"). They are hidden:
// ReadAll skips them (reading further pages to fill a count) and
// subscriptions drop them. Stream names starting with "$" are refused.
//
// # Errors
//
// Every client error is mapped to the store's typed errors. The client
// wraps its *esdb.Error in fmt.Errorf chains and esdb.FromError only looks
// at the outermost error, so errors are matched with errors.As, and then by
// gRPC status for what the client leaves undecoded:
//   - a missing stream arrives not as an error of the read call but as the
//     first message of the response, so it surfaces from the first Recv
//     (esdb.ErrorCodeResourceNotFound) → ErrStreamNotFound;
//   - a deleted stream (trailer "stream-deleted") → ErrStreamDeleted;
//   - an append's wrong expected version comes in the response body, the
//     current revision only inside the client's message; a delete's comes
//     as FailedPrecondition with the server's message → both become a
//     *WrongExpectedVersionError naming expected and current;
//   - Unavailable, NotLeader, Aborted (a server-side timeout), deadline
//     exceeded and a closed connection → ErrUnavailable: the outcome of a
//     write is unknown and retrying it with the same event IDs is safe;
//   - InvalidArgument (for example an oversized append) → ErrInvalidArgument.
//
// Input is validated before anything is sent, with the same rules and the
// same field names as the embedded store (eventstore.ValidateAppend).
//
// # Connections
//
// The client keeps one connection state machine per esdb.Client and
// reconnects lazily, in a way that can block calls forever when a
// reconnect fails under concurrency (see session.go). The store therefore
// treats a client as a session: its client never stops rediscovering; an
// outage is detected by a separate, bounded probe and reported as
// ErrUnavailable; a session is retired at its first connection-level
// failure and new calls share one freshly dialled session; each call runs
// on a goroutine owned by the session, so callers honour their context
// and are released (ErrUnavailable, outcome unknown) a few seconds after
// their session was retired; a retired client is closed after its last
// call. TestConcurrentCallsAcrossRestarts runs 32 writers through two
// server restarts to hold this.
//
// # Subscriptions
//
// SubscribeToAll runs event-type and stream-prefix filters on the server,
// which also sends the checkpoints (its max search window × multiplier is
// set to CheckpointInterval). Unfiltered subscriptions get no checkpoints
// from the server, so the adapter counts scanned events and emits them
// itself. A subscription remembers the last position it handed out or
// scanned; when the connection drops it resumes strictly after it on a
// fresh session, with backoff, so nothing is skipped or repeated.
// Subscription.Recv gives up with ErrUnavailable after
// Options.ResubscribeWait, and the next Recv tries again.
//
// # Testing
//
// The contract suite (eventstore/storetest) runs in `go test` through this
// package, the official client and real gRPC on loopback against
// kurrenttest, a protocol test double backed by the Pebble store. The
// double checks that the adapter speaks the protocol the client speaks
// and maps every answer correctly; it is not KurrentDB. The acceptance run
// is against a real server: set RECOUP_KURRENTDB_URL (for example
// esdb://localhost:2113?tls=false) and run `go test ./eventstore/kurrent/`.
// docs/kurrentdb.md lists what only the real server verifies.
package kurrent
