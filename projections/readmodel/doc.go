// Package readmodel holds the queryable state of the ledger: invoices,
// subscriptions, presets with the products that use them, and card
// activity, each a projections.Projection over its own Pebble database
// (not the event store's).
//
// Design and invariants:
//
//   - Each projection owns key kinds (see keys.go) and a checkpoint key;
//     the records, index entries and checkpoint of a batch are one Pebble
//     batch, so the database never holds writes past its checkpoint.
//   - Every record remembers the $all position of the last event applied
//     to it; an event at or before it is skipped, so any replay (after a
//     crash, or from an older checkpoint) changes nothing.
//   - Records are stored in a compact versioned binary form and decoded
//     events are read with eventjson, without encoding/json, so rebuilds
//     run near the store's read speed. A bounded cache of decoded records
//     absorbs the locality of a history; memory stays flat.
//   - A rebuild from zero (Apply after Reset) runs in bulk mode until the
//     first Sync: records are built in memory across batches and written
//     as sorted sstables that Pebble ingests, per spill the records and
//     index changes of each kind and the checkpoint, non-overlapping and
//     in one atomic step, in bounded chunks (see bulk.go). A crash
//     mid-rebuild resumes from the last ingested step.
//   - Listings are newest first by the position of the creating event,
//     with Stripe's limit / starting_after / ending_before, through
//     secondary index keys maintained in the same batch as the record.
//   - Statuses follow the domain aggregates' rules: paid and void are
//     final, canceled subscriptions stay canceled, closing an invoice ends
//     its dunning run and clears next_payment_attempt.
package readmodel
