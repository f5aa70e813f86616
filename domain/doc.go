// Package domain holds Recoup's ledger vocabulary: the event catalogue,
// the aggregates that decide (Invoice, Subscription, Preset, Product,
// Settings), the card-network retry rules and the pure dunning
// decisions. It does no I/O and imports nothing else of Recoup's.
//
// # Aggregates
//
// Each aggregate is rebuilt from its stream (RebuildInvoice, ...; Apply
// folds one event) and has command methods that validate and return new
// events without changing the aggregate; the caller appends them with
// the expected revision Version-1 and applies them. Refusals are either a
// *ValidationError listing every failing field (JSON path, stable code,
// detail; errors.Is(err, ErrValidation)) or a *StateError whose Kind is
// a sentinel (ErrInvalidTransition, ErrNotFound, ErrAlreadyExists,
// ErrArchived, ErrDefaultPreset). Commands that would change nothing
// (archive twice, assign the same preset) return no events and no error.
//
// Invoice statuses follow Stripe: draft → open → paid | uncollectible |
// void; uncollectible → paid | void; paid and void are final. Amounts are
// never negative: a payment never exceeds amount_remaining. attempt_count
// counts every attempt, and attempts are numbered 1, 2, ... without gaps.
// Writing off records the amount and marks the invoice uncollectible, so
// a late payment still lands. Subscriptions are active | past_due |
// paused | canceled (final, with a reason); HeldBy names the invoice
// whose dunning paused the subscription or made it past due, and only
// that invoice's payment resumes it.
//
// Presets follow Metrifox: retries on or off; smart retries (1–8 retries
// within a window of 1–60 days) or a manual schedule of 1–8 gaps of 1–60
// days, never both; pause or keep active during recovery; after failure
// cancel / keep active / pause the subscription and write off / leave
// overdue / leave overdue N days (N ≥ 1) then mark uncollectible. An
// archived preset can be neither edited nor newly assigned but keeps
// working where assigned. The account has exactly one default: the
// built-in DefaultPresetSpec until a preset is marked default, and the
// default cannot be archived. ResolvePreset picks the product's preset,
// else the default, so changing the default never touches products that
// chose another preset.
//
// # Network rules
//
// NetworkRules is the one table of card-network retry rules, each row
// with its source: no retry on the same card after a Visa category 1
// decline, a Mastercard advice code 03 or 21, or a processor hard decline;
// minimum waits after advice codes 24–30; caps of 15 declined attempts in
// 30 days (Visa), 10 in 24 hours and 35 in 30 days (Mastercard).
// EarliestRetry and RetryAllowed read a CardHistory (attempts on the card
// since its number last changed, across invoices) and are cheap enough
// for the simulator's inner loop. VisaCategoryOf maps response codes to
// Visa's categories in one place (declines.go).
//
// # Dunning decisions
//
// The decisions are functions of a Situation (invoice, subscription, the
// preset a new run would take, current settings, card history, the
// planner's answer, now) that return events; the engine in package
// dunning executes them on any Clock. DecideDue is the one entry point:
// the engine calls it after appending an invoice's events and whenever
// the invoice's NextTimer fires. In order, it takes:
//
//   - the finalization decision: email a finalized send_invoice invoice
//     (EmailFinalizedInvoices) and, for one-off send_invoice invoices,
//     schedule reminders before, on and after the due date (those that
//     would fall before finalization are skipped);
//   - the failure decision after an automatic attempt fails: start a run
//     with a snapshot of the preset and settings (the run keeps them
//     whatever happens to the preset later), schedule the payment_failed
//     email (FailedPaymentEmails), pause the subscription or mark it past
//     due (retries on only), then plan the next retry: the manual
//     schedule's next gap counted from the last automatic attempt, or the
//     RetryPlan the engine got from its planner (NeedsPlan says when;
//     an exploration choice may be passed the same way). The time is
//     moved to the earliest the network rules allow (RetryScheduled.Rule
//     says which rule moved it). A card that may never be retried blocks
//     the run (RetryBlocked) until the run's deadline — the end of the
//     manual schedule or of the smart window — and a new card restarts
//     eligibility (OnPaymentMethodChanged retries at once). With no
//     retries left, the planner saying stop, or a smart retry falling
//     past the window, the run is exhausted;
//   - the payment decision: a remainder within the auto-reconcile
//     threshold is credited and the invoice marked paid; a paid or voided
//     invoice resumes the subscription it held;
//   - the end of a blocked run whose deadline passed;
//   - marking uncollectible: N days after a run left the invoice overdue
//     (leave_overdue_days), or 30/60/90 days past due per the settings
//     (from the due date, or from finalization for automatic charges;
//     deferred while a run is active), whichever comes first;
//   - a due charge: the initial charge of an auto-advancing
//     charge_automatically invoice at finalization, or the pending retry,
//     re-checked against the network rules at fire time (postponed or
//     blocked if the card's history changed);
//   - due reminders: due-date reminders only while the invoice is open,
//     payment_failed emails also to an invoice just written off, nothing
//     to a paid or void invoice.
//
// Exhausting a run applies the preset's outcome: cancel, pause or keep
// the subscription active (resuming it if the run held it), and write the
// invoice off, leave it overdue, or leave it overdue N days.
// next_payment_attempt is set by every RetryScheduled and cleared by
// the attempt, by a block, by exhaustion and by closing the invoice, so it
// is set while retries remain and null after the last.
//
// Decisions are idempotent: each checks state first and returns nothing
// once its events are applied, and returns other streams' events before
// the invoice's, so a crash between appends repeats nothing. Timers come
// only from recorded events (Invoice.Timers), so a restart rebuilds them
// exactly. RecordPaymentAttempt records a charge's outcome together with
// its decision.
package domain
