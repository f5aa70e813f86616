package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// List is the envelope of every list response.
type List[T any] struct {
	Object  string `json:"object"`
	URL     string `json:"url"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
}

func newList[T any](path string, data []T, hasMore bool) List[T] {
	if data == nil {
		data = []T{}
	}
	return List[T]{Object: "list", URL: path, Data: data, HasMore: hasMore}
}

// Page is a list request's cursor: at most Limit items after
// StartingAfter or before EndingBefore (never both).
type Page struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

// Limits of list pages.
const (
	DefaultPageLimit = 10
	MaxPageLimit     = 100
)

// query reads and checks query parameters, collecting every failure.
type query struct {
	v url.Values
	f fields
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query()} }

// only refuses parameters the route does not know, so a misspelt filter
// is an error rather than silently ignored.
func (q *query) only(known ...string) {
	for k := range q.v {
		ok := false
		for _, n := range known {
			if k == n {
				ok = true
				break
			}
		}
		if !ok {
			q.f.add(k, CodeUnknownField, "unknown query parameter")
		}
	}
}

func (q *query) page() Page {
	p := Page{Limit: DefaultPageLimit, StartingAfter: q.v.Get("starting_after"), EndingBefore: q.v.Get("ending_before")}
	if s := q.v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageLimit {
			q.f.add("limit", CodeOutOfRange, "must be an integer between 1 and 100")
		} else {
			p.Limit = n
		}
	}
	if p.StartingAfter != "" && p.EndingBefore != "" {
		q.f.add("ending_before", CodeInvalidValue, "cannot be combined with starting_after")
	}
	return p
}

func (q *query) str(name string) string { return q.v.Get(name) }

func (q *query) oneOf(name string, allowed ...string) string {
	v := q.v.Get(name)
	q.f.oneOf(name, v, false, allowed...)
	return v
}

func (q *query) time(name string) time.Time { return q.f.timestamp(name, q.v.Get(name), false) }

func (q *query) err() error {
	if len(q.f) > 0 {
		return validationProblem(q.f)
	}
	return nil
}
