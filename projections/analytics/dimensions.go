package analytics

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A dimension groups recovery figures. Case dimensions describe the
// recovery case (the invoice's first failure: its decline, card and
// month; the invoice's product and preset); attempt dimensions describe
// one attempt (its number, the customer's local hour and weekday, what
// chose its time).
type dimension struct {
	expr    string
	attempt bool
	join    bool // needs the dunning run's preset
	// raw and label split expr for queries that aggregate first: group by
	// the cheap raw column, then label the few groups (coalesce, format)
	// instead of every row.
	raw, label string
}

func dim(raw, label string) dimension {
	return dimension{expr: fmt.Sprintf(label, raw), raw: raw, label: label}
}

var dimensions = map[string]dimension{
	"decline_code":     dim("a.case_decline_code", "coalesce(%s, '(none)')"),
	"decline_category": dim("a.case_decline_category", "coalesce(%s, '(none)')"),
	"funding":          dim("a.case_funding", "coalesce(%s, '(unknown)')"),
	"network":          dim("a.case_network", "coalesce(%s, '(unknown)')"),
	"country":          dim("a.case_card_country", "coalesce(%s, '(unknown)')"),
	"customer_country": dim("a.customer_country", "coalesce(%s, '(unknown)')"),
	"product":          dim("a.product_id", "coalesce(%s, '(none)')"),
	"preset":           {expr: "coalesce(r.preset_id, '(none)')", raw: "r.preset_id", label: "coalesce(%s, '(none)')", join: true},
	"month":            dim("date_trunc('month', a.case_started_at)", "strftime(%s, '%%Y-%%m')"),
	"attempt_number":   {expr: "a.attempt_number", raw: "a.attempt_number", label: "%s", attempt: true},
	"local_hour":       {expr: "a.local_hour", raw: "a.local_hour", label: "%s", attempt: true},
	"weekday":          {expr: "a.weekday", raw: "a.weekday", label: "%s", attempt: true},
	"source":           {expr: "coalesce(a.source, a.initiator)", raw: "coalesce(a.source, a.initiator)", label: "%s", attempt: true},
}

// Dimensions lists the names accepted by --by.
func Dimensions() []string {
	out := make([]string, 0, len(dimensions))
	for k := range dimensions {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// grouping is a checked list of dimensions.
type grouping struct {
	names   []string
	dims    []dimension
	attempt bool // any attempt dimension
	join    bool
}

func parseBy(by []string, allowAttempt bool) (grouping, error) {
	var g grouping
	for _, name := range by {
		name = strings.TrimSpace(name)
		d, ok := dimensions[name]
		if !ok {
			return g, &ArgumentError{Field: "by", Rule: fmt.Sprintf("unknown dimension %q; use one of %s", name, strings.Join(Dimensions(), ", "))}
		}
		if d.attempt && !allowAttempt {
			return g, &ArgumentError{Field: "by", Rule: fmt.Sprintf("%q describes an attempt; this query groups recovery cases", name)}
		}
		if slices.Contains(g.names, name) {
			return g, &ArgumentError{Field: "by", Rule: fmt.Sprintf("%q given twice", name)}
		}
		g.names = append(g.names, name)
		g.dims = append(g.dims, d)
		g.attempt = g.attempt || d.attempt
		g.join = g.join || d.join
	}
	return g, nil
}

// selectList is the dimension columns, with a trailing comma when any.
func (g grouping) selectList(wrap string) string {
	var b strings.Builder
	for i, d := range g.dims {
		expr := d.expr
		if wrap != "" {
			expr = wrap + "(" + expr + ")"
		}
		fmt.Fprintf(&b, "%s AS %s, ", expr, g.names[i])
	}
	return b.String()
}

// positions are the dimension columns' ordinals: their aliases may
// shadow table columns of the same name, ordinals cannot.
func (g grouping) positions() string {
	p := make([]string, len(g.names))
	for i := range p {
		p[i] = strconv.Itoa(i + 1)
	}
	return strings.Join(p, ", ")
}

// rawList is the raw dimension columns as d1..dn, with a trailing comma
// when any; labels is their labelled form under the dimension names.
func (g grouping) rawList() string {
	var b strings.Builder
	for i, d := range g.dims {
		fmt.Fprintf(&b, "%s AS d%d, ", d.raw, i+1)
	}
	return b.String()
}

func (g grouping) labels() string {
	var b strings.Builder
	for i, d := range g.dims {
		fmt.Fprintf(&b, "%s AS %s, ", fmt.Sprintf(d.label, fmt.Sprintf("d%d", i+1)), g.names[i])
	}
	return b.String()
}

func (g grouping) groupBy() string {
	if len(g.names) == 0 {
		return ""
	}
	return " GROUP BY " + g.positions()
}

func (g grouping) orderBy() string {
	if len(g.names) == 0 {
		return ""
	}
	return " ORDER BY " + g.positions()
}

// runsJoin attaches the preset of the dunning run the case started.
const runsJoin = ` LEFT JOIN (SELECT invoice_id, arg_min(preset_id, pos) AS preset_id FROM dunning_runs GROUP BY invoice_id) r
	ON r.invoice_id = a.invoice_id`

func (g grouping) from() string {
	if g.join {
		return " FROM payment_attempts a" + runsJoin
	}
	return " FROM payment_attempts a"
}
