// Package projections feeds read sides from the ledger's global log.
//
// A Projection (the read models of projections/readmodel, the DuckDB
// tables of projections/analytics) keeps its own checkpoint: the position
// in $all of the last event it applied. The Runner subscribes to $all
// after the lowest checkpoint of the projections it drives, gathers events
// into batches and hands each projection the events after its own
// checkpoint. Invariants:
//
//   - A projection stores its checkpoint atomically with the writes of the
//     batch that advanced it (one Pebble batch, one DuckDB transaction), so
//     after a crash it resumes exactly where its stored state ends.
//   - Handlers are idempotent: replaying events at or before what a record
//     already reflects changes nothing, so a forced replay from an older
//     checkpoint converges to the same state as a clean run.
//   - Every projection can be Reset and rebuilt from the start of $all.
//   - Positions are compared, never assumed contiguous; lag is counted in
//     events by reading $all after the checkpoint (capped, see MaxLag).
//
// Batching: while catching up the Runner fills batches of BatchSize
// events; at the head it flushes at once, re-reading the head so that a
// busy live log still gets batched. A reader goroutine, owned by the
// call and stopped before it returns, fills the next batch while the
// projections apply the current one. It subscribes with
// SubscribeOptions.Reuse and copies each event into the batch's buffer
// (eventbuf.go), which is reused once the batch is applied: a catch-up
// allocates nothing per event, and events are valid only during Apply. At the head the Runner calls Sync
// on projections that write in the background or across batches
// (Syncer), so what was applied is stored before it waits for more.
package projections
