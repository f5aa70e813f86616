// Package smartretry learns from the ledger when a failed card payment is
// likely to succeed and chooses retry times that recover the most within
// a preset's limits and the card networks' rules.
//
// # Features
//
// Every row is one attempt after a failure, described only by what the
// ledger knew when the attempt was planned (a Case) and the attempt's
// time. The vector has three blocks (layout.go): static facts of the Case
// (last decline code and its category, Mastercard advice code, network,
// funding, country and cross-border, log amount, whether the category
// changed since the first failure, card activity in the last 24 hours and
// 7 days and since the failure and how recent the last was,
// payment-method updates, reminders sent beyond the one that follows each
// failure, failed probes);
// time facts of the candidate (attempt number, hours since the first
// failure and since the last attempt, local hour as two harmonics and a
// night flag, weekday, proximity to and from the 1st, the 15th, the last
// business day, the 25th, the 5th business day and Friday (pay dates on
// a weekend move to a business day), whether each of those paydays' local
// midnight fell since the first failure and since the last attempt, decays
// of the time since the failure (cures), whether the last attempt was
// within a day and whether it was made at night or midday); and
// crossings of the time facts that matter with four groups (insufficient
// funds, soft and technical declines, debit cards), so a linear model can
// express "a payday since the last attempt matters for funds" or "night
// matters for debit". Training rows (ledger.go) and serving requests
// (CaseFromContext) both become a Case, and Row computes the vector from
// a Case and a time, so the two paths cannot drift.
//
// # Model
//
// A discrete-time hazard model: P(success | attempt at t, history) as
// L2-regularised logistic regression, fitted by gonum's L-BFGS with an
// analytic gradient computed in one pass over a dense design matrix,
// split across goroutines (fit.go). Scorer is the interface the rest of
// the package uses; another family implements Score and Explain. The
// model file (modelfile.go) is versioned JSON: schema version, a model
// version derived from the weights, feature names, weights and a training
// summary with held-out log-loss, Brier score, AUC and calibration by
// decile. A file of another schema, another feature layout or altered
// weights is refused.
//
// # Optimizer
//
// For a request the planner lays an hourly grid over the window, marks
// the slots the network rules allow, and computes each slot's time
// features once. For a linear model the static block folds into one
// constant per request, and the group crossings into one coefficient per
// time feature; the groups are 0 or 1, so each model has at most 16 sets
// of coefficients, and with them the parts of the log-odds that depend on
// whole hours (since the first failure, between two slots) are tables
// built once per model (fold.go). A slot then costs table reads, a
// per-day and a per-hour-of-day part, and one exponential, and the
// probability of attempt n at slot j after a failure at slot i is a
// product of precomputed exponentials. TestFoldedPlannerMatchesReference
// holds this path to the plans and probabilities of scoring full rows. Dynamic programming over (slot of
// the last failure, retries left) maximises expected recovered amount,
// discounted slightly by delay, minus a cost per attempt, with a minimum
// spacing (optimize.go); later retries range over the best few hours of
// each local day, plus the first few allowed hours (Objective.Probes).
// A failed attempt is not worthless: the engine emails the customer after
// every failure, and reminders raise the chance that the customer updates
// the card or pays by themselves. EstimateReminderValue learns from a
// ledger how much one more reminder raises the customer-payment rate per
// hour (comparing runs of the same age with different reminder counts),
// and the optimizer counts the customer's own payments in what it
// maximises, the probability of recovery within the window, as the
// evaluation does: after a failure at slot j the reminder recovers a
// share 1 − exp(−ReminderValue·(end − j)) of what the later retries would
// leave (Objective.ReminderValue), so it uses its retries, and uses some
// early. Retries within ProbeWindow of the first failure are probes: they
// test little beyond a technical error, so the attempt-number features
// do not count them (their number is a static feature of its own), and
// the planner weighs a probe at the first allowed hour against the
// optimizer's plan (probe.go). Only the first slot is acted on: the
// engine asks again
// after each failure with the real outcome, so the plan is re-optimised
// with what was learnt. Each plan carries every chosen slot's probability,
// the top feature contributions of the first and the model version.
//
// The card networks' rules come from domain (NetworkRules wraps
// domain.EarliestRetry): the planner never proposes a slot before the
// earliest allowed time, and proposes nothing for a card they forbid.
//
// # Latent-class family
//
// A logistic hazard planned one attempt at a time sees an invoice's
// history only through features, so it cannot represent "this customer
// is paid on the 1st or on the last business day, and the failure just
// after the last business day's deposit rules that one out". Mixture
// (mixture.go) is a discrete-time hazard model with hidden classes: one
// funds class per common pay schedule, six cure speeds and a dead card.
// A funds class's hazard is a table over the hours since that schedule's
// last deposit (and whether one came since the previous attempt); a cure
// class's hold lifts at a hidden onset (a grid of six-hour steps within
// the class's window), before which an attempt rarely succeeds and after
// which its chance depends on the local hour and on whether the previous
// attempt, after the lift, came the same day of the run (an issuer's
// decision holds within a day); the dead card has one small chance. The
// class prior is a table by the first decline's category, funding and
// country, smoothed level by level; each cure class has a distribution of
// its onsets. Each class also has a Poisson process of card activity
// (mixture_activity.go): funds by hours since the schedule's deposit, a
// cure class quiet until its hold lifts and live after, a dead card
// quiet. The posterior is over states — a funds class, the dead card, or
// a cure onset — so the activity and the failed retries tell not only
// the class but, for a hold, whether it has lifted by an attempt: a hold
// whose card came alive yesterday is likelier to pay today than one
// still quiet, which a chance pooled over lifted and unlifted holds
// cannot say. The activity seen so far weighs the states
// as the failed retries do. All are fitted by EM over invoice-level
// attempt sequences from the ledger (mixture_fit.go), with the local
// deposit hour chosen by likelihood, and scored on held-out sequences
// (mixture_metrics.go). MixturePlanner (mixture_plan.go) computes the
// posterior from the invoice's failed retries and card activity and chooses a set of
// retries maximising the chance of recovery within the window under it:
// greedy insertion, each planned failure updating the posterior of the
// ones after it, then moves of single retries while they help. An
// invoice whose card was updated goes to the logistic planner; the engine
// and recommendations both send it there before anything else is looked
// at, so they name the same model version. What planning derives from
// the model alone (the hazards' complements in the layouts the search
// reads: each cure class's survival before its lift, its survivals after
// the lift by local hour, fresh and sticky, the lesser of those two for
// the search's bounds and their reciprocals; the logarithms of the
// activity rates) is folded once per model (mixture_fold.go); the search's candidates are ranked by an
// approximate loss bounded chunk by chunk (the cure onsets summed by
// whether a slot, the attempts before and after it have seen the lift,
// so a slot costs a few operations per cure class, not per onset), and
// computed exactly for the few near the least, so its plans are the
// plain scan's
// (TestMixturePlannerMatchesReference). The ranking stops at the first
// chunk whose bound exceeds the least approximate loss found by more
// than a margin (1e-9 of it plus 1e-12), and only candidates within
// that margin are valued exactly; this is exact: the bound is a lower
// bound of every loss in its chunk, approximate or exact, its own
// rounding covered by a relative (1-1e-12) slack
// (TestMixtureSearchBoundIsBelowLoss), and the approximate losses differ
// from the exact ones, 1 − value, by at most an absolute 1e-14
// (TestMixtureSearchRestByIsValue), so the best slot's approximate loss
// is within twice that of the least: inside the margin, whose absolute
// 1e-12 term alone covers errors up to about 4e-13 (under half of it,
// with room for the rounding of the sums compared). No slot left out can
// be the best, and among those valued exactly ties go to the earliest
// slot, as in a scan.
//
// # Model files
//
// `recoup train` writes one file of either family (train_family.go);
// Load reads it (load.go) and returns a planner of the file's family,
// which serve, recommend, simulate --model, backtest and the demo use,
// behind Recommender (the engine's RetryPlanner plus recommendations
// with scored candidates). The family field chooses the format, each
// family with its own schema version. The logistic file is described
// above. The mixture file (mixture_file.go) holds the Mixture's exported
// fields as encoding/json writes them, a SHA-256 of that encoding, the
// layout fingerprint (classes, cells, bucket edges, the struct's fields),
// and a complete logistic file as its fallback, which plans invoices
// whose card was updated and which backtests score with. A file of
// another schema, layout or family, or whose tables do not match its
// checksum and version, is refused naming the field;
// TestMixtureSchemaPinsLayout ties the fingerprint to MixtureSchema, so a
// change of the mixture's fields or cells cannot ship without a new
// schema version. Every plan of a mixture file names the file's version,
// the fallback's included. A mixture recommendation (mixture_explain.go)
// explains the class posterior, the invoice facts that set the prior and
// what sets each planned retry's chance (a pay deposit some hours before,
// or, for a cure class, the chance that its hold has lifted by then, with
// the hours since the failure, the local hour and whether the retry shares
// the previous attempt's day of the run).
//
// The package reads ledger events and never the simulator, so the
// simulator's hidden truth cannot leak into a model; internal/smartsim
// joins the two for evaluation, and package backtest estimates preset
// changes from a ledger with the fitted model.
package smartretry
