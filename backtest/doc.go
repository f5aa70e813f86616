// Package backtest estimates, from a ledger's history, what a different
// dunning preset would have done to the same failed invoices: invoices and
// amount recovered, retries, days to recovery and churned subscriptions,
// with 95% bootstrap intervals.
//
// The direct method replays each failed invoice against fitted models
// instead of the world: the smart-retry hazard model gives each retry's
// chance of success given the attempts before it, and a customer-payment
// hazard estimated from the same ledger (by reminders sent) gives the
// chance that the customer pays between retries. Facts that do not depend
// on the policy — card updates, card activity, the customer's zone — come
// from the ledger as recorded. A fixed schedule is evaluated at its
// times; a smart preset is evaluated by asking the planner after each
// hypothetical failure, exactly as the engine would.
//
// Where the engine logged propensities (explored retries), a doubly robust
// estimate corrects the direct method with the logged outcomes of the
// decisions the candidate would have made too, weighted by the inverse
// propensity.
//
// Intervals are predictive: each bootstrap replicate resamples invoices
// and draws their outcomes from the estimated chances, so an interval
// covers the outcome the population would actually have had, not only the
// mean the model expects.
package backtest
