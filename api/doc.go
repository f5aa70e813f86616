// Package api is Recoup's HTTP API: JSON under /v1 on a chi router, one
// file per resource, described by an embedded OpenAPI 3.1 document
// (openapi.json, served at /openapi.json) that the tests hold every real
// response to.
//
// # Conventions
//
// The API follows the shared API conventions, which mirror Stripe's where
// integrators expect it: plural resources, actions as POST sub-paths,
// integer minor-unit amounts, RFC 3339 UTC timestamps, list envelopes
// {"object":"list","data":[...],"has_more":...} with limit,
// starting_after and ending_before.
//
// Errors are RFC 9457 application/problem+json documents with a stable
// code and the offending field in param (a JSON path, or a header name);
// a validation failure lists every failing field in errors. A param is
// read against the body as sent: a member is written after a dot
// (context.amount, candidates.0 where candidates is an object with a
// member "0"), an array element as an index (candidates[1]), a member
// name that is empty or holds any of . [ ] or " as a JSON string in
// brackets (context[""], context["a.b"], or [""] at the top), the whole body
// as "$", and a fault of the body's syntax outside any member as no
// param at all. Request bodies
// are decoded strictly: an unknown field, a wrong type, trailing data or a
// body over 1 MiB (256 MiB for bulk import) is refused with the field
// named, and nothing is written.
//
// # Security
//
// API keys come from RECOUP_API_KEYS ("KEY:SCOPES;KEY:SCOPES", scopes
// read, write, admin; admin includes the others). Only SHA-256 digests of
// the keys are kept, and a presented key is compared with every digest in
// constant time. A missing or unknown key is 401, a missing scope 403.
// Each key has its own token-bucket rate limit (429 with Retry-After).
//
// # Idempotency
//
// Two layers make retries safe. The Idempotency-Key header on a POST
// (at most 255 characters) stores the first response durably in a small
// Pebble database of its own, per API key, for 48 hours; a replay returns
// it with Idempotent-Replayed: true, the same key with another request is
// 409 idempotency_key_reused, and a replay while the first still runs is
// 409 idempotency_request_in_progress. Below that, ledger commands append
// events whose IDs are UUIDv5 of the command's natural identity (invoice
// finalized once, attempt number N once, ...), else of the
// Idempotency-Key, else of the content; the event store skips IDs it has,
// so a re-sent command appends nothing even after the response cache has
// forgotten it.
//
// # Ledger commands
//
// POST /v1/ledger/{command} records what a billing system reports
// (customer_registered, invoice_finalized, payment_attempted,
// payment_method_attached, payment_method_updated, card_activity). A
// command may carry a past occurred_at with "backfill": true: the events
// are recorded and projected, and the dunning engine takes no action on
// them. POST /v1/ledger/import takes the same commands as NDJSON
// ({"type":..., "idempotency_key":..., "data":{...}} per line), checks
// every line before writing any, and is what `recoup import` runs.
//
// # Resources
//
// One file per resource: recommendations.go (POST /v1/recommendations/retry
// on the smart planner, from the ledger as of a time or from an inline
// context), presets.go, products.go and settings.go (decided by the domain
// aggregates, appended at the revision read), ledger.go and imports.go
// (commands), invoices.go, subscriptions.go and events.go (the read models
// and the streams), analytics.go (named queries; ad-hoc SQL for admin keys,
// on a DuckDB handle with external access off and its configuration
// locked), backtests.go (jobs run one at a time; backteststore.go keeps
// every job's state and result in DATA/backtests, written before it is
// shown, so jobs outlive a restart and one cut short is reported failed as
// interrupted, never resumed). A part the server was not given (no model yet, no
// analytics) answers 501 not_configured rather than vanishing, so the
// router and openapi.json always agree; a test walks the router against the
// document and every test response is validated against it.
//
// # Lifecycle
//
// Serve applies server timeouts and, when its context ends, stops
// accepting connections and waits for in-flight requests, so an append
// that was accepted is completed rather than cut.
package api
