// Package dunning is Recoup's dunning engine: the process manager that
// recovers failed payments. It follows the ledger through a $all
// catch-up subscription, keeps the state of every invoice it may act on
// in memory, and acts when a timer derived from the recorded events comes
// due: it charges through a Gateway, records the outcome with what
// follows it (the next retry, a block, the end of the run and the
// preset's outcome for the invoice and the subscription), and sends the
// emails and webhooks the ledger says are owed.
//
// # Decisions and execution
//
// The engine decides nothing itself. Every decision is the domain's:
// domain.DecideDue (what is due for an invoice now), RecordPaymentAttempt
// (an attempt's outcome and what it decides) and OnPaymentMethodChanged
// (a new card restarts eligibility), all pure functions of a
// domain.Situation that the engine fills in from its memory: the invoice
// and subscription aggregates, the preset that would start a run (product
// choice, else account default, else the built-in default), the current
// collection settings and the card's history for the network rules. The
// domain places every retry where the network rules allow it. The engine
// adds what needs the outside world or chance:
//
//   - a RetryPlanner for smart presets (domain.NeedsPlan). Until a trained
//     model is configured, HeuristicPlanner stands in and says so: its
//     plans and the RetryScheduled events they produce carry model
//     version "heuristic-v1" and an explanation naming it;
//   - exploration: a configurable share of the retries decided after a
//     failure (WithExploreRate, default 5%, 0 disables) moves to a
//     uniformly drawn hour of the run's window. The draw is seeded by
//     (seed, invoice, attempt), so a re-run decides the same. Every retry
//     after a failure logs its source (schedule, smart or explore) and
//     the probability the mixed policy had of choosing its hour slot, on
//     RetryScheduled and then on the PaymentAttempted it leads to, so that
//     histories can be evaluated off-policy without bias;
//   - the Gateway call, with the idempotency key "<invoice>/<attempt>"
//     (one key, one request: see Idempotency and restart);
//   - the sends: reminder emails through a Notifier (ReminderSent, or
//     ReminderFailed and a retry after notify.Backoff), and Stripe-shaped
//     webhooks (invoice.payment_failed with attempt_count and
//     next_payment_attempt, invoice.paid, invoice.marked_uncollectible,
//     customer.subscription.updated), each with an evt_ id derived from
//     its trigger, recorded as WebhookSent (delivered or not; retried
//     with backoff; given up, and recorded as such, after
//     notify.MaxAttempts). Without an email channel (the simulator),
//     reminders are recorded as sent on channel "none".
//
// Backfilled events (Base.Backfill) are applied like any other, but an
// invoice whose latest event is a backfill gets no action: no charge,
// email or webhook.
//
// # Timers
//
// Nothing is scheduled that is not recorded. An invoice's next wake-up is
// the earliest of its aggregate's timers (domain.Invoice.Timers: a
// pending decision, the next payment attempt, a blocked run's deadline,
// an uncollectible date, a scheduled reminder), the next try of a failed
// send, and a card change to consider. A heap orders wake-ups by time and
// then invoice id, so firing is deterministic. On start the engine
// replays $all from the beginning, which rebuilds every aggregate and so
// every timer; an old timer simply fires at once.
//
// # Clocks
//
// The same code runs on a wall clock (Run, for `recoup serve`: events are
// applied as the subscription delivers them and timers fire as they come
// due) and on a VirtualClock (AdvanceTo, for the simulator and tests: it
// catches up with the store, then fires every timer up to the target in
// order, stepping the clock to each timer's time so that events carry the
// time they were due, and returns with everything written). A simulation
// takes months of dunning in as long as the work itself takes.
// A driver that hands the engine every fact it writes (Record) can split
// a step: Decide fires what is due on the engine's memory without waiting
// for the store, and Commit starts writing the step and returns while it
// commits, so the driver's work and the engine's next decisions overlap
// the commit.
//
// # Idempotency and restart
//
// Each decision is applied to the engine's memory when taken and staged
// for its stream; consecutive decisions on a stream become one atomic
// append with the expected revision the stream had before them (Exact, or
// NoStream). Event IDs are deterministic: an attempt is UUIDv5 of
// "<stream>/attempt/<n>", every other event UUIDv5 of
// "<stream>@<revision>", so the same decision taken again at the same
// revision appends nothing new, and any other writer that got there
// first makes the append fail rather than be overwritten; the engine then
// re-reads the stream and decides again from what is recorded.
//
// Staged batches are flushed many streams at once (so the store's group
// commit puts them in few synced writes), subscriptions' first, then
// invoices', as the domain orders its decisions: after a crash between
// the two, the re-taken decision finds the subscription already changed
// and repeats nothing, while the invoice's decision, not recorded, is
// still pending. One flush may be in flight while the engine goes on
// deciding; a stream's next batch is never sent before the previous one
// is written. A sole writer (the simulator) on a store that applies
// queued appends in queue order (the embedded store's QueueAppendBatch)
// keeps a few flushes in flight, each queued behind the previous one, so
// that the store checks and writes them in order and gathers those that
// queue up behind a slow sync into one commit; a stream's next batch is
// still never written before the previous one, and since the flushes are
// queued on one eventstore.QueueChain, none is written after one the
// store refused.
//
// One idempotency key names one request (sent.go). The engine may decide
// an attempt again before the first decision is written: after a conflict
// it re-reads and decides from what another writer recorded meanwhile
// (a partial payment lowers what remains), and after an unknown outcome
// it tries again. It remembers every charge request it sent until the
// attempt is written, and a charge decided again under the same key sends
// that request, with the same parameters (not the clock: At is not one),
// and records what it charged (its amount, card
// and initiator) with the processor's answer, not the new decision: the
// processor answers a repeated key for the first request, and Stripe
// refuses a key reused with other parameters. A failed attempt for more
// than remains (another writer's payment lowered the remainder while the
// charge was in flight) is admitted for the engine's own charge: no money
// moved, so it is recorded as charged and dunning goes on under the next
// key for what remains (domain.RecordPaymentAttempt; the API's outside
// writers keep the stricter rule). A successful charge the ledger cannot
// hold as its attempt (for more than remains, or the invoice was closed)
// took money all the same: it is recorded as a domain.ChargeOutsideAttempt,
// accepted in any invoice status, whose part that fits an open invoice is
// applied as a payment and the rest owed back (domain.Invoice.Unapplied,
// a reconciliation item by key and charge id). A declined one the ledger
// cannot hold moved no money: on an invoice that takes no payment any
// more (paid, void; the domain's rule: open and uncollectible invoices
// take payments) it is forgotten; otherwise (the ledger refuses it for
// another reason: an unknown decline code, a bad advice code, no payment
// method) deciding it again would meet the same refusal, so its request is
// forgotten and the charge held (invoice.chargeHeld) until the ledger
// changes. The key is never derived
// from the amount, which would charge twice. A gateway's refusal of a
// reused key (ErrKeyReused: an engine before a restart sent it with other
// parameters) holds that charge (invoice.chargeHeld): it is logged to be
// reconciled and not sent again, but only the charge waits; reminders,
// webhooks and every other decision go on, and the invoice stays on the
// timer heap. A held key stays held when it is later orphaned (another
// writer takes its attempt number or closes the invoice): it is not
// settled (the refusal is definite; sending again would be refused again)
// and the engine logs it once, at Error, to be reconciled by its key. It
// keeps blocking every later key of the invoice (mayCharge), deliberately:
// the first request under it, by the engine before the restart, may have
// taken the money, and a second charge is how a customer is charged twice.
// So an invoice with a held key is not charged again by the engine (and
// has no charge timer) until the key is reconciled and the engine
// restarted, or the invoice is settled by another writer.
//
// A remembered key whose attempt number another writer took, or whose
// invoice another writer closed, is named by no decision again: it is
// orphaned, and the engine settles it before anything else for the
// invoice (settle.go), sending the same request until it has a definite
// answer and recording a success as above; until then it charges the
// invoice under no other key.
//
// Known limit: the memory of requests sent is the engine's own. A charge
// is not written down before it is sent, so a restart between the
// gateway's call and the attempt's write forgets it: if the ledger is
// unchanged, the restarted engine decides the same charge and sends the
// same request (answered as the same payment); but if another writer
// changed the invoice meanwhile (took the attempt number, closed the
// invoice, lowered what remains), the restarted engine never settles that
// key (an orphan it does not know of), or meets ErrKeyReused. The design
// that closes this is a write-ahead: a ChargeRequested event (key,
// amount, card, initiator) appended and committed to the invoice's stream
// before the gateway is called, reserving attempt n so that no other
// writer's attempt can take it (the domain refusing attempt n from anyone
// but the charge that reserved it until it is resolved), and a restarted
// engine rebuilding its remembered requests from the unresolved
// ChargeRequested events it reads, to settle them as above. It costs one
// synced append per charge before the call, and is not built.
//
// A restart therefore loses at most decisions that were not written, and
// takes them again: a charge made but not recorded is repeated with the
// same idempotency key (the gateway answers with the first outcome), an
// email or webhook sent but not recorded is sent again with the same
// Message-ID or evt_ id (receivers drop the duplicate). Nothing recorded
// is repeated, and no retry is lost. The engine's checkpoint is the $all
// position of the last event it applied (Position); it is kept in memory
// and the engine rebuilds from the start of $all when it starts, because
// its timers are state that only the whole history gives.
//
// # A failed flush
//
// A flush that fails (a sole writer's refused append, or any failure
// other than a conflict the engine re-reads) stops the engine: its memory
// holds decisions that are not written. A flight raises the failure before
// it reports done, and a sole writer's queued flushes share a QueueChain
// that the store breaks the moment it refuses one, before it answers
// (the answer waits for the sync of the appends applied with it). The
// engine reads both right before every charge, email and webhook, and when
// Decide, Commit, Record, Flush or AdvanceTo start (see halt.go). The
// guarantee: once the store has refused a queued flush, or any flush's
// failure has reached the engine, no gateway call or send is made, even
// within the Decide that is running, and every later call returns the
// same *FlushError. Charges made before that moment whose attempts were
// in the failed flush, in a flush queued behind it (refused with it), or
// still staged are not recorded: at most those of the queuedFlights steps
// in flight and of the step being decided when the store refuses. The
// FlushError lists them by idempotency key, so they can be reconciled,
// and names the refused append (stream, expected revision, events). A
// restarted engine decides them again from the ledger and charges with
// the same keys, which the processor answers with the first outcome.
// (On a store without multi-stream appends, the KurrentDB adapter, a
// flush writes each stream on its own, so some of the failed flush's
// invoices may be written after all: those whose appends the store
// confirmed are not listed, so the list is of charges not known to be
// written, which after an unknown outcome may include some that were.) A batch a flush set aside as conflicted is re-read, not
// written: should the engine stop (or Close come) before that, the charges
// of the conflicted invoices are listed too, whichever flush in flight it
// was in. A flush cut short because the caller's context ended (a
// server shutting down) stops the engine too; when it leaves no charge
// and no recorded event unwritten, Close logs it rather than returning
// it, since the next engine takes those decisions again from the ledger.
//
// # Recorded facts
//
// A writer that drives the engine (the simulator's world) may hand it
// events instead of appending them (Record, see record.go): they are
// applied at once and written with the engine's next flush, in one commit
// with its decisions, keeping their IDs and expected revisions; a refused
// recorded append fails the flush, as does one left unwritten because the
// subscription's append of the same flush conflicted, and so does a
// conflict on a batch the engine staged that recorded events then joined
// (a recorded fact is never dropped to a re-read). The subscription skips them when it
// delivers them back. Such a writer reads what the engine knows instead of
// the store (SubscriptionStatus, Invoice: decisions staged or in flight
// included), and may record an invoice's next events at the exact revision
// that view leaves the stream at: Record checks it against the staged
// append, which the store checks in turn. When such a writer is the only
// other source of facts (WithSoleWriter, the simulator), the engine reads
// the store once, at its first catch-up, and never reads its own writes
// back.
//
// # Concurrency
//
// An Engine is driven by one goroutine at a time (Run or AdvanceTo). Run
// owns the goroutine that pumps the subscription and stops it before
// returning; a flush's appends run on goroutines that are always joined
// before the driver returns. One engine should act on a ledger at a time.
package dunning
