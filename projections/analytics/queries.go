package analytics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Options parameterize a named query.
type Options struct {
	// By lists dimensions to group by (see Dimensions).
	By []string
	// From and To select recovery cases whose first failure falls in
	// [From, To) (cancellations, for churn); zero means unbounded.
	From, To time.Time
}

// NamedQuery is a question the analytics answer.
type NamedQuery struct {
	Name string
	Doc  string
	run  func(ctx context.Context, db *DB, o Options) (Result, error)
}

// Queries lists the named queries.
var Queries = []NamedQuery{
	{"recovery", "Recovery rate by count and by amount. Grouped by case dimensions the unit is the failed invoice " +
		"(recovered when a later attempt succeeds); with an attempt dimension (attempt_number, local_hour, weekday, source) " +
		"the unit is the retry attempt.", recovery},
	{"time_to_recovery", "Hours from an invoice's first failure to its recovery: percentiles and mean.", timeToRecovery},
	{"revenue", "Revenue of failed invoices: recovered, lost (written off, uncollectible or voided unrecovered) and still open.", revenue},
	{"churn", "Involuntary churn by month of cancellation: cancellations for failed payment against active subscriptions at the start of the month.", churn},
	{"retries", "Retries per recovered invoice: attempts after the first failure up to the one that recovered it.", retries},
}

// Run runs the named query.
func Run(ctx context.Context, db *DB, name string, o Options) (Result, error) {
	i := slices.IndexFunc(Queries, func(q NamedQuery) bool { return q.Name == name })
	if i < 0 {
		names := make([]string, len(Queries))
		for j, q := range Queries {
			names[j] = q.Name
		}
		return Result{}, &ArgumentError{Field: "query", Rule: fmt.Sprintf("unknown query %q; use one of %s", name, strings.Join(names, ", "))}
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		return Result{}, &ArgumentError{Field: "to", Rule: "must be after from"}
	}
	res, err := Queries[i].run(ctx, db, o)
	res.Query = name
	return res, err
}

// window adds the case-start bounds to a WHERE clause.
func window(col string, o Options, where []string, args []any) ([]string, []any) {
	if !o.From.IsZero() {
		where = append(where, col+" >= ?")
		args = append(args, o.From.UTC())
	}
	if !o.To.IsZero() {
		where = append(where, col+" < ?")
		args = append(args, o.To.UTC())
	}
	return where, args
}

func recovery(ctx context.Context, db *DB, o Options) (Result, error) {
	g, err := parseBy(o.By, true)
	if err != nil {
		return Result{}, err
	}
	where, args := window("a.case_started_at", o, []string{"a.case_started_at IS NOT NULL"}, nil)
	// Aggregate on raw columns first, then label and divide per group: a
	// single scan with plain sums, the cheapest form for DuckDB.
	total, totalAmount, unit := "sum(a.first_failure::INTEGER)", "sum(CASE WHEN a.first_failure THEN a.amount END)", "failed invoices"
	if g.attempt {
		where = append(where, "a.is_retry")
		total, totalAmount, unit = "count(*)", "sum(a.amount)", "retry attempts"
	}
	inner := "SELECT " + g.rawList() + total + " AS t, sum(a.recovers::INTEGER) AS r, " +
		totalAmount + " AS ta, sum(CASE WHEN a.recovers THEN a.amount END) AS ra" +
		g.from() + " WHERE " + strings.Join(where, " AND ") + g.groupBy()
	q := "SELECT " + g.labels() + "t::BIGINT AS total, r::BIGINT AS recovered, round(r / nullif(t, 0), 4) AS recovery_rate, " +
		"coalesce(ta, 0)::BIGINT AS total_amount, coalesce(ra, 0)::BIGINT AS recovered_amount, " +
		"round(ra / nullif(ta, 0), 4) AS amount_recovery_rate FROM (" + inner + ")" + g.orderBy()
	res, err := db.query(ctx, q, args...)
	res.Unit = unit
	return res, err
}

func timeToRecovery(ctx context.Context, db *DB, o Options) (Result, error) {
	g, err := parseBy(o.By, true)
	if err != nil {
		return Result{}, err
	}
	where, args := window("a.case_started_at", o, []string{"a.recovers"}, nil)
	h := "(epoch(a.occurred_at) - epoch(a.case_started_at)) / 3600.0"
	q := "SELECT " + g.selectList("") + "count(*) AS recovered, " +
		"round(quantile_cont(" + h + ", 0.5), 2) AS p50_hours, round(quantile_cont(" + h + ", 0.75), 2) AS p75_hours, " +
		"round(quantile_cont(" + h + ", 0.9), 2) AS p90_hours, round(quantile_cont(" + h + ", 0.95), 2) AS p95_hours, " +
		"round(avg(" + h + "), 2) AS mean_hours" +
		g.from() + " WHERE " + strings.Join(where, " AND ") + g.groupBy() + g.orderBy()
	res, err := db.query(ctx, q, args...)
	res.Unit = "recovered invoices"
	return res, err
}

func revenue(ctx context.Context, db *DB, o Options) (Result, error) {
	by := o.By
	if len(by) == 0 {
		by = []string{"month"}
	}
	g, err := parseBy(by, false)
	if err != nil {
		return Result{}, err
	}
	where, args := window("a.case_started_at", o, []string{"a.case_started_at IS NOT NULL"}, nil)
	q := "WITH cases AS (SELECT a.invoice_id, " + g.selectList("any_value") +
		"sum(a.amount) FILTER (a.first_failure) AS failed_amount, " +
		"coalesce(sum(a.amount) FILTER (a.recovers), 0) AS recovered_amount, bool_or(a.recovers) AS recovered" +
		g.from() + " WHERE " + strings.Join(where, " AND ") + " GROUP BY a.invoice_id), " +
		"lost AS (SELECT DISTINCT invoice_id FROM invoice_events WHERE event IN ('uncollectible', 'written_off', 'voided')) " +
		"SELECT " + strings.Join(append(slices.Clone(g.names), ""), ", ") +
		"count(*) AS failed_invoices, sum(failed_amount)::BIGINT AS failed_amount, " +
		"sum(recovered_amount)::BIGINT AS recovered_amount, " +
		"coalesce(sum(failed_amount) FILTER (NOT recovered AND l.invoice_id IS NOT NULL), 0)::BIGINT AS lost_amount, " +
		"(sum(failed_amount) - sum(recovered_amount) - coalesce(sum(failed_amount) FILTER (NOT recovered AND l.invoice_id IS NOT NULL), 0))::BIGINT AS open_amount " +
		"FROM cases LEFT JOIN lost l USING (invoice_id)" + g.groupBy() + g.orderBy()
	res, err := db.query(ctx, q, args...)
	res.Unit = "failed invoices"
	return res, err
}

// involuntaryReasons are cancellation reasons that mean the payment, not
// the customer, ended the subscription.
const involuntaryReasons = "('payment_failed', 'dunning', 'dunning_exhausted', 'unpaid')"

func churn(ctx context.Context, db *DB, o Options) (Result, error) {
	for _, b := range o.By {
		if b != "month" {
			return Result{}, &ArgumentError{Field: "by", Rule: "churn is grouped by month only"}
		}
	}
	where, args := window("c", o, []string{"true"}, nil)
	q := `WITH starts AS (SELECT subscription_id, min(occurred_at) AS s FROM subscription_changes WHERE change = 'started' GROUP BY 1),
	cancels AS (SELECT subscription_id, min(occurred_at) AS c, arg_min(reason, occurred_at) AS reason,
		arg_min(amount, occurred_at) AS amount FROM subscription_changes WHERE change = 'canceled' GROUP BY 1),
	months AS (SELECT DISTINCT date_trunc('month', c) AS m FROM cancels WHERE ` + strings.Join(where, " AND ") + `),
	active AS (SELECT m, (SELECT count(*) FROM starts LEFT JOIN cancels USING (subscription_id)
		WHERE s < m AND (c IS NULL OR c >= m)) AS n FROM months)
	SELECT strftime(m, '%Y-%m') AS month, any_value(n) AS active_at_start,
		count(*) FILTER (reason IN ` + involuntaryReasons + `) AS involuntary,
		count(*) FILTER (reason IS NULL OR reason NOT IN ` + involuntaryReasons + `) AS voluntary,
		coalesce(sum(amount) FILTER (reason IN ` + involuntaryReasons + `), 0)::BIGINT AS involuntary_amount,
		round(count(*) FILTER (reason IN ` + involuntaryReasons + `) / nullif(any_value(n), 0), 4) AS involuntary_churn_rate
	FROM active JOIN cancels ON date_trunc('month', c) = m GROUP BY m ORDER BY m`
	res, err := db.query(ctx, q, args...)
	res.Unit = "subscriptions"
	return res, err
}

func retries(ctx context.Context, db *DB, o Options) (Result, error) {
	g, err := parseBy(o.By, true)
	if err != nil {
		return Result{}, err
	}
	where, args := window("a.case_started_at", o, []string{"a.recovers"}, nil)
	q := "SELECT " + g.selectList("") + "count(*) AS recovered_invoices, " +
		"coalesce(sum(a.case_attempt - 1), 0)::BIGINT AS retries, round(avg(a.case_attempt - 1), 2) AS retries_per_recovery, " +
		"quantile_disc(a.case_attempt - 1, 0.5) AS median_retries, max(a.case_attempt - 1) AS max_retries" +
		g.from() + " WHERE " + strings.Join(where, " AND ") + g.groupBy() + g.orderBy()
	res, err := db.query(ctx, q, args...)
	res.Unit = "recovered invoices"
	return res, err
}
