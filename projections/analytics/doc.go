// Package analytics projects the ledger into DuckDB for recovery
// analytics: named queries (recovery rate, time to recovery, revenue
// recovered and lost, involuntary churn, retries per recovery) and
// read-only ad-hoc SQL.
//
// Tables (schema.go) are append-only facts, one row per event, written
// with DuckDB's Appender: payment_attempts (every attribute of
// PaymentAttempted, plus the customer's local hour and weekday from the
// CustomerRegistered time zone, the card's attributes from
// PaymentMethodAttached, and the recovery case), invoices,
// invoice_events, dunning_runs, retries_scheduled, reminders,
// subscription_changes, customers and payment_methods.
//
// The recovery case: an invoice's first failed attempt opens it (and
// fixes its decline code and category, card network, funding and
// country, and month); the first later success recovers it. Each attempt
// row carries the case's attributes and three flags (first_failure,
// is_retry, recovers), so recovery by any dimension is one scan of one
// table with filtered aggregates, no join (preset needs a join with the
// small dunning_runs table). Recovered amounts count successful attempts
// only; money received outside attempts shows in invoice_events.
//
// Invariants:
//   - A batch is one DuckDB transaction: appenders flush into it and the
//     checkpoint row is written in it, so rows and checkpoint commit
//     together. A rebuild from zero (after Reset) lets one transaction
//     span many batches until Sync or defaultBulkCommit events (bulk.go).
//   - Every row carries pos, its event's $all position. On open the
//     projection deletes rows after its checkpoint and reloads its
//     in-memory state (time zones, cards, open invoices' cases) from the
//     tables, so a replay from any older checkpoint ends in exactly the
//     state of a clean run.
//   - Ad-hoc SQL runs only on a database opened with OpenReadOnly and
//     only as a single SELECT (see AdHoc).
package analytics
