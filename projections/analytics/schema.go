package analytics

// Every fact table carries pos, the $all position (commit) of the event
// it came from: on open, rows after the checkpoint are deleted, which
// makes a replay from any older checkpoint exact.
// Timestamps are TIMESTAMP holding UTC, so results never depend on the
// session's time zone.
var tables = []struct{ name, ddl string }{
	{"customers", `CREATE TABLE IF NOT EXISTS customers (
		pos UBIGINT, customer_id VARCHAR, country VARCHAR, time_zone VARCHAR, registered_at TIMESTAMP)`},
	{"payment_methods", `CREATE TABLE IF NOT EXISTS payment_methods (
		pos UBIGINT, payment_method_id VARCHAR, customer_id VARCHAR, event VARCHAR,
		network VARCHAR, funding VARCHAR, country VARCHAR, exp_month INTEGER, exp_year INTEGER,
		update_source VARCHAR, new_number BOOLEAN, occurred_at TIMESTAMP)`},
	{"invoices", `CREATE TABLE IF NOT EXISTS invoices (
		pos UBIGINT, invoice_id VARCHAR, customer_id VARCHAR, subscription_id VARCHAR, product_id VARCHAR,
		payment_method_id VARCHAR, amount BIGINT, currency VARCHAR, due_date TIMESTAMP,
		collection_method VARCHAR, auto_advance BOOLEAN, billing_reason VARCHAR, finalized_at TIMESTAMP, backfill BOOLEAN)`},
	{"invoice_events", `CREATE TABLE IF NOT EXISTS invoice_events (
		pos UBIGINT, invoice_id VARCHAR, event VARCHAR, amount BIGINT, customer_id VARCHAR, product_id VARCHAR,
		case_started_at TIMESTAMP, occurred_at TIMESTAMP)`},
	{"payment_attempts", `CREATE TABLE IF NOT EXISTS payment_attempts (
		pos UBIGINT, invoice_id VARCHAR, customer_id VARCHAR, subscription_id VARCHAR, product_id VARCHAR,
		preset_id VARCHAR, payment_method_id VARCHAR, attempt_number INTEGER, amount BIGINT, currency VARCHAR,
		outcome VARCHAR, decline_code VARCHAR, decline_category VARCHAR, network_decline_code VARCHAR,
		advice_code VARCHAR, network VARCHAR, funding VARCHAR, card_country VARCHAR, customer_country VARCHAR,
		time_zone VARCHAR, initiator VARCHAR, source VARCHAR, propensity DOUBLE, charge_id VARCHAR,
		occurred_at TIMESTAMP, local_hour TINYINT, weekday TINYINT, backfill BOOLEAN,
		case_started_at TIMESTAMP, case_decline_code VARCHAR, case_decline_category VARCHAR,
		case_network VARCHAR, case_funding VARCHAR, case_card_country VARCHAR, case_attempt INTEGER,
		first_failure BOOLEAN, is_retry BOOLEAN, recovers BOOLEAN)`},
	{"dunning_runs", `CREATE TABLE IF NOT EXISTS dunning_runs (
		pos UBIGINT, invoice_id VARCHAR, subscription_id VARCHAR, customer_id VARCHAR, product_id VARCHAR,
		preset_id VARCHAR, preset_name VARCHAR, retries_enabled BOOLEAN, smart_retries BOOLEAN,
		max_retries INTEGER, schedule VARCHAR, during_recovery VARCHAR, after_subscription VARCHAR,
		after_invoice VARCHAR, overdue_days INTEGER, started_at TIMESTAMP)`},
	{"retries_scheduled", `CREATE TABLE IF NOT EXISTS retries_scheduled (
		pos UBIGINT, invoice_id VARCHAR, attempt_number INTEGER, scheduled_for TIMESTAMP, source VARCHAR,
		model_version VARCHAR, score DOUBLE, propensity DOUBLE, occurred_at TIMESTAMP)`},
	{"reminders", `CREATE TABLE IF NOT EXISTS reminders (
		pos UBIGINT, invoice_id VARCHAR, customer_id VARCHAR, event VARCHAR, kind VARCHAR, channel VARCHAR,
		due_at TIMESTAMP, occurred_at TIMESTAMP)`},
	{"subscription_changes", `CREATE TABLE IF NOT EXISTS subscription_changes (
		pos UBIGINT, subscription_id VARCHAR, customer_id VARCHAR, product_id VARCHAR, change VARCHAR,
		reason VARCHAR, invoice_id VARCHAR, amount BIGINT, currency VARCHAR, occurred_at TIMESTAMP)`},
}

const checkpointDDL = `CREATE TABLE IF NOT EXISTS checkpoints (
	projection VARCHAR PRIMARY KEY, commit_pos UBIGINT, prepare_pos UBIGINT)`

// Tables lists the fact tables, in the order they are created.
func Tables() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.name
	}
	return out
}
