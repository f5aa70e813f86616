// Package pebble is the embedded event store: eventstore.Store on Pebble,
// with no server.
//
// # Key layout
//
//	g/<pos>                 → record (see record.go): the global log, $all
//	s/<stream>0x00<rev>     → run: first position and count of the events
//	                          one append wrote from revision rev (run.go)
//	x/<stream>0x00<eventID> → rev, pos: the persistent (stream, event ID)
//	                          index of caller-chosen event IDs
//	h/<stream>              → head: next revision, state (live, soft-deleted,
//	                          tombstoned), soft-delete floor
//	m/<stream>              → metadata: max-count, max-age, truncate-before,
//	                          number of metadata writes
//
// Positions and revisions are 8-byte big-endian so byte order is numeric
// order. Stream names never contain control characters, so the 0x00 after
// the name keeps each stream's keys contiguous and apart from any other
// stream whose name it prefixes.
//
// # Writes: one appender, group commit
//
// Callers validate and encode their events in their own goroutine and queue
// a request. One appender goroutine takes every queued request (a group),
// checks each against the stream heads it caches in memory (loaded from h/
// on a miss), assigns consecutive revisions and positions, writes all keys
// of the group into one Pebble batch, commits it with a synced WAL write,
// and only then publishes the new last position, wakes subscribers and
// answers every caller. While one group is syncing, the next gathers in the
// queue, so many concurrent appenders share one fsync.
//
// Invariants:
//   - An append (a multi-stream one too) is one batch: all of its events, index entries and the new
//     head become durable and visible together, or none do. A request that
//     fails a check writes nothing; checks always precede writes.
//   - Positions strictly increase with commit order; revisions of a stream
//     are consecutive from 0 and never reused, also across a soft delete.
//   - A caller is answered only after its batch is synced, so every
//     acknowledged event survives a crash.
//   - Readers never see an event a crash could take away: Pebble shows an
//     applied batch before its WAL sync completes, so $all reads, stream
//     reads and subscriptions stop at the last synced position.
//   - Only the appender writes, so its caches are the truth once loaded. A
//     failed commit leaves them unreliable: the store then refuses writes
//     (ErrUnavailable) until it is reopened.
//
// # Multi-stream appends
//
// AppendBatch (eventstore.BatchAppender) queues one request carrying
// several appends, to one or more streams. The appender applies them in
// order to a batch of their own, each seeing the heads the ones before it
// leave; if one fails, what the earlier ones did to the caches (heads,
// the group's event-ID entries, the next position) is undone and the
// whole request fails naming it, so nothing of it is written. If all
// pass, their writes join the group's batch, sorted by key (sorted.go:
// the memtable inserts neighbouring keys cheaply), and commit with it in
// the same synced WAL write; subscribers are woken once, with the group.
// So a batch's events take consecutive positions in request order, and
// the caches never hold anything the group's commit does not carry. Its
// parts share one encoding buffer and are answered through the batch.
// QueueAppendBatch returns once such a request is queued: a writer that
// queues its next append before the previous one is written has them
// applied in queue order, each checked against the heads the earlier one
// leaves (the dunning engine, as the simulation's sole writer, keeps a
// few in flight, and those that queue up behind a slow sync share the
// next commit). Appends queued on one eventstore.QueueChain stand or fall
// in order: after a refusal, the chain's later appends are refused too.
// The chain is broken when the appender refuses, before the refused
// append is answered (answers wait for their group's sync), so its writer
// can stop acting on what will not be written a sync earlier.
//
// # Idempotency
//
// Every event with a caller-chosen ID gets an x/ entry. An append whose
// caller-set IDs are all
// already in the stream, at consecutive revisions in the same order,
// writes nothing and returns the original result (the revision and
// position of its last event), whatever the expected revision says. An
// append where only some IDs are already there (a partial overlap), or
// where they are out of order, is refused as invalid naming the first
// offending event: writing it would store an event twice. Random IDs
// chosen by the store for zero IDs (ChaCha8 seeded from the system) are
// neither indexed nor looked up: no caller knows them before the append
// returns, so no retry can repeat them.
//
// Proving an ID new costs a read of a key that is not there, as does
// loading the head of a stream that does not exist yet; both were the
// largest costs of appending small batches to many streams. Two in-memory
// filters of this session's writes skip most of those reads, exactly
// (idfilter.go): a stream created in this session has no index entry the
// session did not write, so an ID the filter of written entries does not
// hold is new; and when the store held no stream head at all when opened,
// a stream the filter of written heads does not hold has none. A filter's
// "maybe" falls back to the read; they have no false negatives, so the
// semantics above are unchanged.
//
// # Deletes and metadata
//
// Soft delete sets the head's state and its floor to the next revision
// (and, like KurrentDB, the metadata's truncate-before); reads then return
// ErrStreamNotFound and NoStream succeeds. The next append revives the
// stream at the next revision; older events stay hidden. A tombstone makes
// every later read or write ErrStreamDeleted. Deleted events stay in $all,
// as in KurrentDB before a scavenge. Stream reads honour max-count, max-age
// and truncate-before; $all and subscriptions ignore them.
//
// # Records and corruption
//
// A record carries a CRC32C over its position and every byte after the
// checksum; heads and metadata carry one over their stream name and bytes.
// Stream reads check that the record found through s/ is the stream and
// revision asked for. Any mismatch is eventstore.ErrCorruptRecord: a bad
// record is never skipped and never returned.
//
// # Reads and subscriptions
//
// Reads use bounded iterators and decode into events whose variable-length
// fields are carved from shared 64 KiB blocks, so a read allocates per
// block, not per event. A subscription has no goroutine: Recv scans the log
// after its cursor in batches and, when caught up, waits for the commit
// broadcast; a slow subscriber never holds up the appender.
//
// # Lifecycle
//
// Open takes Pebble's directory lock first, so a second Open of the same
// directory, in this process or another, fails with ErrLocked. Close
// refuses new work, lets the appender commit or fail every request it has
// accepted, wakes subscribers and closes Pebble.
package pebble
