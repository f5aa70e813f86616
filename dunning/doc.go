// Package dunning is Recoup's dunning engine: a process manager that
// follows the ledger through a $all catch-up subscription, keeps the state
// of every open invoice in memory, and acts when a timer derived from the
// recorded events comes due: charge through a Gateway, schedule the next
// retry within the preset and the card-network rules, apply the preset's
// outcome, and send the emails and webhooks the ledger says are owed.
//
// The same engine runs on a wall clock (Run, for `recoup serve`) and on a
// virtual clock (AdvanceTo, for the simulator and tests). Decisions get
// deterministic event IDs (UUIDv5 of invoice and purpose) and are appended
// with the expected revision of the stream they follow, so a restart
// rebuilds state from the ledger and resumes with nothing repeated or lost.
package dunning
