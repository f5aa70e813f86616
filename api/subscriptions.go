package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// Subscription is a subscription as the API shows it.
type Subscription struct {
	Object string `json:"object"`
	readmodel.Subscription
}

func (s *Server) mountSubscriptions(r chi.Router) {
	r.Get("/v1/subscriptions", s.handle(s.listSubscriptions))
	r.Get("/v1/subscriptions/{id}", s.handle(s.getSubscription))
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.ReadModels == nil {
		return notConfigured("the read models")
	}
	sub, err := s.cfg.ReadModels.Subscription(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return readProblem(err, "id")
	}
	return writeJSON(w, http.StatusOK, Subscription{Object: "subscription", Subscription: sub})
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	q.only("limit", "starting_after", "ending_before", "status", "customer", "product")
	page := q.page()
	f := readmodel.SubscriptionFilter{
		Status:   domain.SubscriptionStatus(q.oneOf("status", "active", "past_due", "paused", "canceled")),
		Customer: q.str("customer"), Product: q.str("product"),
	}
	if err := q.err(); err != nil {
		return err
	}
	if s.cfg.ReadModels == nil {
		return notConfigured("the read models")
	}
	l, err := s.cfg.ReadModels.Subscriptions(r.Context(), f, rmPage(page))
	if err != nil {
		return readProblem(err, "")
	}
	out := make([]Subscription, len(l.Data))
	for i, sub := range l.Data {
		out[i] = Subscription{Object: "subscription", Subscription: sub}
	}
	return writeJSON(w, http.StatusOK, newList(r.URL.Path, out, l.HasMore))
}
