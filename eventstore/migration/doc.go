// Package migration copies one event store into another (Pebble to
// KurrentDB or back), for `recoup migrate`.
//
// Every event is appended in $all order, to the same stream at the same
// revision, with its original ID, type, content type, data and metadata
// (the record time is the time of the copy: business time lives in the
// events themselves). Consecutive events of one stream go in one append,
// whose expected revision is the revision before its first event (NoStream
// for revision 0), so the destination's revisions are the source's or the
// copy stops with an error saying why.
//
// An interrupted copy restarts without duplicates: appends are sequential,
// so the destination always holds a prefix of the source's $all. A restart
// reads the destination's last event, finds it in the source (same stream,
// revision and ID; otherwise the destination is not a copy of this source
// and the copy refuses to touch it) and continues after it. An append
// whose outcome is unknown (ErrUnavailable) is resolved the same way on
// the next run, and appending the same IDs again is idempotent anyway.
//
// After the events, each copied stream's state follows: metadata
// (max-count, max-age, truncate-before), soft deletion and tombstones.
// This phase is idempotent too and is simply redone on a restart.
//
// Limits: the source should not be written to during a copy (a later run
// copies what was added meanwhile); metadata of streams that have no
// events is not copied (the embedded store keeps metadata outside $all);
// a stream whose first events were scavenged from a KurrentDB source
// cannot keep its revisions, and the copy stops naming it.
package migration
