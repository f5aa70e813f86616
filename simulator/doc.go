// Package simulator is Recoup's ground-truth world: subscribers, cards and
// issuers whose hidden recovery processes are known, used to generate
// realistic ledgers and to replay retry policies against the truth.
//
// # The world file
//
// A world is a JSON document (type World; defaults in datasets/worlds,
// every parameter's public source in datasets/worlds/SOURCES.md). It is
// decoded strictly: unknown fields, wrong types and nulls are found by
// walking the document against the Go types, then every semantic rule is
// checked (Validate); all problems are returned at once in a *WorldError,
// each with the field's JSON path ($.countries[1].share) and the rule.
//
// # The world model
//
// A customer lives in a country and time zone, holds a card of some
// funding (credit, debit, prepaid) and network, is on a plan, has a pay
// schedule (weekly Fridays, biweekly in one of two phases, semimonthly,
// monthly on the last business day, the 1st, the 25th or the fifth
// business day) and a frailty level. A renewal charge is declined with
// probability decline_rate[funding] × frailty.
//
// A decline is observed as a reason of Recurly's table (drawn from
// decline_mix by funding), reported as one of the reason's processor
// codes (codes; the network code follows from domain's decline table) and,
// on Mastercard, with a merchant advice code drawn from the hidden cause
// (advice_codes). The hidden cause is drawn from cause_given_reason, so
// the observed code is a noisy view of the truth: a do_not_honor may hide
// a funds shortfall, an issuer hold or a closed account.
//
// Each cause has its own hidden recovery process. Time is counted in
// slots, whole hours after the failed first attempt.
//
//   - funds: the customer is short of money. Nothing succeeds before the
//     next pay deposit (at deposit_local_hour, local time, on the
//     customer's pay days); after deposit j the approval chance is
//     between_paydays + at_deposit·exp(−age/decay_days). One uniform draw
//     per pay period decides every attempt in it (the balance covers the
//     charge or not), so retrying within a period rarely helps, while
//     retrying right after a deposit does.
//   - hold and technical: the issuer's hold or the fault ends at a cure
//     time, exponential with the funding's half-life divided by frailty
//     (frail customers cure slower), on a grid of grid_hours. After it the
//     approval is approval·(1 + a·cos(2π(local hour − peak)/24)). One draw
//     per noise_period_hours block since the failure decides the attempts
//     in it (24 hours for holds, so one good attempt a day is what
//     counts; 1 hour for technical faults).
//   - hard and card_data: the same card never succeeds. The account
//     updater refreshes a share of cards (a new number) after an
//     exponential delay; retries on the refreshed card then succeed with
//     new_card_approval, if the customer is alive.
//
// Each cause has a share of dead customers ("alive" is the complement)
// whose card will never pay. Card activity (devices presenting the card)
// is a Poisson process whose rate is live_per_day while the card could pay
// (cured, funded — boosted right after a deposit — or refreshed) and
// idle_per_day otherwise, so activity is evidence of liveness and of the
// cure. Live customers also update their card and pay themselves, at
// customer_update.per_day × (1 + reminder_boost × reminders sent), one
// reminder being sent at the failure and after every failed retry.
//
// # Randomness and common random numbers
//
// Every draw of an invoice comes from a stream or a hashed uniform keyed
// by (seed, population, invoice, purpose): the hidden state, the card
// activity, the customer's update threshold (an Exp(1) draw against the
// cumulative hazard), and one uniform per noise key for attempt outcomes.
// Two policies replayed on the same invoice therefore face the same
// world, whatever they do, and comparisons are paired. Replays are
// deterministic for a seed regardless of the number of workers.
//
// # Policies and bounds
//
// A Policy sees an Observation (observable facts and history, never the
// hidden state) and returns the next retry slot. Fixed schedules (the
// Metrifox default preset, a Stripe-like 8-in-14-days schedule, the evenly
// spaced schedule of a budget, any preset file, and a schedule found by
// coordinate search on a training population), any RetryPlanner-like
// function of domain.RetryContext (the smart policy plugs in here), the
// Bayes oracle and the clairvoyant bound are compared at equal budgets.
// Every policy plans with domain.EarliestRetry and every executed attempt
// is checked with domain.RetryAllowed (domain's one table of card-network
// rules); a violation is counted, never hidden.
//
// The Bayes oracle knows the world's parameters but not the draws: it
// enumerates the latent states compatible with the observed codes (cause,
// cure time, pay schedule and phase, card refresh), weighs them by the
// likelihood of the history (failed attempts, card activity, card
// updates), and picks the retry times that minimize the exact probability
// of ending the window unrecovered, customer updates included. The
// clairvoyant knows the draws; per invoice no policy can recover what it
// does not, which the tests check.
//
// # Simulated ledgers
//
// Simulate (recoup simulate) runs the same world against the real dunning
// engine: customers sign up over the first month and renew each period;
// the engine charges finalized invoices through the world (Sim.Charge is
// its gateway), whose first answer is a decline with probability
// decline_rate × frailty and whose later answers follow the invoice's
// hidden process; card activity, account-updater refreshes and customers'
// own payments are written as events at their virtual times. The clock
// moves in steps (an hour by default): the world's facts of a step are
// written together at its end, so the engine never sees a fact before it
// happens, at the price of seeing it up to a step late. Event IDs are
// UUIDv5 of the seed and the fact, business times are virtual, so a seed
// fixes every event, and $all's order too: the world hands its facts to
// the engine in memory (dunning.Engine.Record), which applies them at once
// and writes them with its own decisions of the next step, all with
// one multi-stream append per step in staging order (subscriptions' and
// other streams' appends first, then invoices'), atomic and queued in the
// embedded store behind the steps before it, which writes them in queue
// order (steps that queue up behind a slow sync share its next commit);
// nothing is read back by the engine (dunning.WithSoleWriter). The world never reads the store: it asks the engine whether a
// subscription still renews, and a customer's own payment is decided on
// the engine's view of the invoice and recorded at the exact revision that
// view leaves the stream at. So a step's commit is in flight while the
// engine takes the next step's decisions (dunning.Engine.Decide) and the
// world records its facts; a later step waits for it only when a few are
// in flight (dunning.Engine.Commit). Record times are the store's and are not part
// of that guarantee.
package simulator
