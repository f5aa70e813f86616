package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	_ "time/tzdata" // customers' time zones must resolve on any machine
)

// state is what the projection must remember between events to enrich
// rows: customers' time zones, cards' attributes, invoices' dimensions
// and recovery case. It is rebuilt from the tables on open, so it always
// matches the checkpoint. Invoices are dropped once paid or void (their
// late events still find customer and product in the invoices table).
type state struct {
	customers     map[string]*customer
	cards         map[string]*card
	invoices      map[string]*invoice
	subscriptions map[string]*subscription
	locations     map[string]*time.Location
	interned      map[string]string
	closed        []string // invoices to drop after the batch commits
}

type customer struct {
	country, tz string
	loc         *time.Location
}

type card struct{ network, funding, country string }

type invoice struct {
	customer, subscription, product, preset string
	amount                                  int64
	// The recovery case starts at the invoice's first failed attempt.
	caseStarted                       time.Time
	caseCode, caseCategory            string
	caseNetwork, caseFunding, caseCtr string
	caseAttempts                      int
	recovered                         bool
}

type subscription struct {
	customer, product, currency string
	amount                      int64
}

func newState() *state {
	return &state{
		customers: map[string]*customer{}, cards: map[string]*card{}, invoices: map[string]*invoice{},
		subscriptions: map[string]*subscription{}, locations: map[string]*time.Location{"": time.UTC},
		interned: map[string]string{},
	}
}

// intern returns a shared string for low-cardinality values (codes,
// networks, statuses) so they do not allocate per event.
func (s *state) intern(b []byte) string {
	if v, ok := s.interned[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(s.interned) < 100_000 {
		s.interned[v] = v
	}
	return v
}

// location resolves an IANA name; unknown names fall back to UTC, which
// the local_hour of such customers then reflects.
func (s *state) location(name string) *time.Location {
	if loc, ok := s.locations[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	s.locations[name] = loc
	return loc
}

// load rebuilds the state from the tables (as of the last commit).
func (s *state) load(ctx context.Context, conn *sql.Conn) error {
	*s = *newState()
	if err := s.loadCustomers(ctx, conn); err != nil {
		return err
	}
	if err := s.loadCards(ctx, conn); err != nil {
		return err
	}
	if err := s.loadSubscriptions(ctx, conn); err != nil {
		return err
	}
	return s.loadInvoices(ctx, conn)
}

func query(ctx context.Context, conn *sql.Conn, q string, scan func(*sql.Rows) error) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("analytics: load state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("analytics: load state: %w", err)
		}
	}
	return rows.Err()
}

func (s *state) loadCustomers(ctx context.Context, conn *sql.Conn) error {
	return query(ctx, conn, `SELECT customer_id, coalesce(arg_max(country, pos), ''), coalesce(arg_max(time_zone, pos), '') FROM customers GROUP BY 1`,
		func(r *sql.Rows) error {
			var id, country, tz string
			if err := r.Scan(&id, &country, &tz); err != nil {
				return err
			}
			s.customers[id] = &customer{country: country, tz: tz, loc: s.location(tz)}
			return nil
		})
}

func (s *state) loadCards(ctx context.Context, conn *sql.Conn) error {
	return query(ctx, conn, `SELECT payment_method_id, coalesce(arg_max(network, pos), ''), coalesce(arg_max(funding, pos), ''),
		coalesce(arg_max(country, pos), '') FROM payment_methods WHERE event = 'attached' GROUP BY 1`,
		func(r *sql.Rows) error {
			var id string
			var c card
			if err := r.Scan(&id, &c.network, &c.funding, &c.country); err != nil {
				return err
			}
			s.cards[id] = &c
			return nil
		})
}

func (s *state) loadSubscriptions(ctx context.Context, conn *sql.Conn) error {
	return query(ctx, conn, `SELECT subscription_id, coalesce(arg_max(customer_id, pos), ''), coalesce(arg_max(product_id, pos), ''),
		coalesce(arg_max(currency, pos), ''), coalesce(arg_max(amount, pos), 0) FROM subscription_changes WHERE change = 'started' GROUP BY 1`,
		func(r *sql.Rows) error {
			var id string
			var sub subscription
			if err := r.Scan(&id, &sub.customer, &sub.product, &sub.currency, &sub.amount); err != nil {
				return err
			}
			s.subscriptions[id] = &sub
			return nil
		})
}

func (s *state) loadInvoices(ctx context.Context, conn *sql.Conn) error {
	const q = `
	WITH cases AS (
		SELECT invoice_id, min(case_started_at) AS started,
			arg_min(case_decline_code, pos) AS code, arg_min(case_decline_category, pos) AS category,
			arg_min(case_network, pos) AS network, arg_min(case_funding, pos) AS funding,
			arg_min(case_card_country, pos) AS country, max(case_attempt) AS attempts, bool_or(recovers) AS recovered
		FROM payment_attempts WHERE case_started_at IS NOT NULL GROUP BY invoice_id),
	runs AS (SELECT invoice_id, arg_max(preset_id, pos) AS preset FROM dunning_runs GROUP BY invoice_id),
	done AS (SELECT DISTINCT invoice_id FROM invoice_events WHERE event IN ('paid', 'voided'))
	SELECT i.invoice_id, coalesce(arg_max(i.customer_id, i.pos), ''), coalesce(arg_max(i.subscription_id, i.pos), ''),
		coalesce(arg_max(i.product_id, i.pos), ''), coalesce(arg_max(i.amount, i.pos), 0), any_value(r.preset), any_value(c.started), any_value(c.code), any_value(c.category),
		any_value(c.network), any_value(c.funding), any_value(c.country), any_value(c.attempts), any_value(c.recovered)
	FROM invoices i LEFT JOIN cases c USING (invoice_id) LEFT JOIN runs r USING (invoice_id)
	WHERE i.invoice_id NOT IN (SELECT invoice_id FROM done)
	GROUP BY i.invoice_id`
	return query(ctx, conn, q, func(r *sql.Rows) error {
		var id string
		var inv invoice
		var preset, code, category, network, funding, country sql.NullString
		var started sql.NullTime
		var attempts sql.NullInt64
		var recovered sql.NullBool
		if err := r.Scan(&id, &inv.customer, &inv.subscription, &inv.product, &inv.amount, &preset, &started,
			&code, &category, &network, &funding, &country, &attempts, &recovered); err != nil {
			return err
		}
		inv.preset = preset.String
		if started.Valid {
			inv.caseStarted = started.Time.UTC()
			inv.caseCode, inv.caseCategory = code.String, category.String
			inv.caseNetwork, inv.caseFunding, inv.caseCtr = network.String, funding.String, country.String
			inv.caseAttempts, inv.recovered = int(attempts.Int64), recovered.Bool
		}
		s.invoices[id] = &inv
		return nil
	})
}
