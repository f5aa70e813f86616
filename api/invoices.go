package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// ReadModels answers queries from the projected read models
// (readmodel.DB implements it).
type ReadModels interface {
	Invoice(ctx context.Context, id string) (readmodel.Invoice, error)
	Invoices(ctx context.Context, f readmodel.InvoiceFilter, page readmodel.Page) (readmodel.List[readmodel.Invoice], error)
	Subscription(ctx context.Context, id string) (readmodel.Subscription, error)
	Subscriptions(ctx context.Context, f readmodel.SubscriptionFilter, page readmodel.Page) (readmodel.List[readmodel.Subscription], error)
	Presets(ctx context.Context, page readmodel.Page) (readmodel.List[readmodel.Preset], error)
	Account(ctx context.Context) (readmodel.Account, error)
}

// Invoice is an invoice as the API shows it, shaped like Stripe's.
type Invoice struct {
	Object string `json:"object"`
	readmodel.Invoice
}

func (s *Server) mountInvoices(r chi.Router) {
	r.Get("/v1/invoices", s.handle(s.listInvoices))
	r.Get("/v1/invoices/{id}", s.handle(s.getInvoice))
}

func (s *Server) getInvoice(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.ReadModels == nil {
		return notConfigured("the read models")
	}
	inv, err := s.cfg.ReadModels.Invoice(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return readProblem(err, "id")
	}
	return writeJSON(w, http.StatusOK, Invoice{Object: "invoice", Invoice: inv})
}

func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	q.only("limit", "starting_after", "ending_before", "status", "customer", "product", "subscription", "next_payment_attempt_before")
	page := q.page()
	f := readmodel.InvoiceFilter{
		Status:   domain.InvoiceStatus(q.oneOf("status", "draft", "open", "paid", "uncollectible", "void")),
		Customer: q.str("customer"), Product: q.str("product"), Subscription: q.str("subscription"),
		NextPaymentAttemptBefore: q.time("next_payment_attempt_before"),
	}
	if err := q.err(); err != nil {
		return err
	}
	if s.cfg.ReadModels == nil {
		return notConfigured("the read models")
	}
	l, err := s.cfg.ReadModels.Invoices(r.Context(), f, rmPage(page))
	if err != nil {
		return readProblem(err, "")
	}
	out := make([]Invoice, len(l.Data))
	for i, inv := range l.Data {
		out[i] = Invoice{Object: "invoice", Invoice: inv}
	}
	return writeJSON(w, http.StatusOK, newList(r.URL.Path, out, l.HasMore))
}

func rmPage(p Page) readmodel.Page {
	return readmodel.Page{Limit: p.Limit, StartingAfter: p.StartingAfter, EndingBefore: p.EndingBefore}
}

// readProblem maps read-model errors: a missing object is 404 naming
// param, a bad argument 400 naming its field.
func readProblem(err error, param string) error {
	var ae *readmodel.ArgumentError
	switch {
	case errors.As(err, &ae):
		return badRequest(CodeInvalidValue, ae.Field, ae.Rule)
	case errors.Is(err, readmodel.ErrNotFound):
		return notFound(param, err.Error())
	}
	return err
}
