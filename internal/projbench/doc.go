// Package projbench holds the projections' benchmark loops, their
// baselines and the synthetic ledger history they run on, shared by
// `go test -bench` in projections and the "projections" and "analytics"
// suites of `recoup bench`, so both measure the same thing.
//
//   - projections.rebuild.readmodel: events/s rebuilding the four read
//     models from the Pebble store; baseline: reading the same $all with
//     the store.readall loop.
//   - projections.rebuild.analytics: events/s rebuilding the DuckDB
//     tables; baseline: the raw Appender writing exactly the rows the
//     projection wrote (loaded into memory first), in one transaction.
//   - analytics.recovery_by_code: milliseconds for the recovery query by
//     decline code over payment_attempts rows appended directly.
package projbench
