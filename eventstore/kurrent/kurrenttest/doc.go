// Package kurrenttest is a protocol test double for KurrentDB: the gRPC
// services the official Go client uses, served on loopback from an
// eventstore.Store (the Pebble store in tests). It exists because no
// KurrentDB server is available to `go test`; it lets the client and
// eventstore/kurrent really run over gRPC through the contract suite.
//
// It is not KurrentDB and proves nothing about KurrentDB's behaviour: its
// semantics are those of the store behind it. What it does reproduce is
// the wire protocol as the client (v4.2.0) uses it, read from the client's
// source and the server's error conventions:
//
//   - Streams.Append: a client stream of one options message (stream,
//     expected revision) and proposed messages (structured UUID, "type" and
//     "content-type" metadata, data, custom metadata); answered with
//     Success (current revision, position) or WrongExpectedVersion in the
//     body. Appends to "$$stream" with one "$metadata" JSON event set the
//     stream's metadata ($maxCount, $maxAge in seconds, $tb).
//   - Streams.Read: reads of a stream or $all in either direction from
//     start, end, a revision or a position, with a count; events carry the
//     "created" system metadata in .NET ticks (the client exits the process
//     without it); a missing stream is a StreamNotFound message, not an
//     error. Reads of "$$stream" return its metadata as one event.
//     Subscriptions to $all (count option "subscription") send a
//     confirmation, then events, and checkpoints only when filtered (every
//     max search window × multiplier scanned events). Prefix filters on
//     event type or stream name are supported; regular expressions and
//     subscriptions to single streams are not.
//   - Streams.Delete and Tombstone, answered with a position (the client
//     dereferences it unconditionally).
//   - Errors as the server sends them: status FailedPrecondition with the
//     "exception: stream-deleted" or "wrong-expected-version" trailers and
//     the server's messages, NotFound, InvalidArgument, Unavailable.
//   - ServerFeatures.GetSupportedMethods (probed on every connect) and
//     Gossip.Read (a one-node cluster whose only member is the leader), so
//     connection strings with several gossip seeds work.
//
// Not reproduced: revisions and positions of metadata-stream events (the
// store does not expose them; reported as 0), system events in $all,
// BatchAppend, persistent subscriptions, projections, users, TLS and
// authentication.
//
// Stop drops every connection as a crashed node would, and Restart serves
// again on the same port, for reconnect tests.
package kurrenttest
