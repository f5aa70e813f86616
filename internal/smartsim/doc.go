// Package smartsim joins the simulator and smart retries for evaluation
// and tests: it records a training history of a world as ledger events
// (the only thing smartretry learns from), trains on it, and plugs the
// smart planner into the simulator's replay. smartretry itself never
// imports the simulator, so the world's hidden truth cannot reach a model.
package smartsim
