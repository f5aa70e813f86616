package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// contextFromLedger builds the planner's view of one invoice from its
// stream, its customer's and its card's: the thin, per-request reading of
// the same facts smartretry.Ledger gathers in bulk for training. The card
// networks' caps count every declined attempt on the card, whatever the
// invoice, so the card's attempts on the customer's other invoices in the
// caps' window are read too (cardAttemptsElsewhere); that needs the read
// models to find those invoices, and without them (rm nil) only this
// invoice's attempts are known.
func contextFromLedger(ctx context.Context, store eventstore.Store, rm ReadModels, invoiceID string, now time.Time) (domain.RetryContext, *domain.PresetSpec, error) {
	inv, err := readEvents(ctx, store, domain.InvoiceStream(invoiceID))
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return domain.RetryContext{}, nil, notFound("invoice_id", "no invoice "+invoiceID+" in the ledger")
	}
	if err != nil {
		return domain.RetryContext{}, nil, err
	}
	rc := domain.RetryContext{Now: now, InvoiceID: invoiceID}
	var fin *domain.InvoiceFinalized
	var preset *domain.PresetSpec
	var paid int64
	for _, e := range inv {
		// Plan as the engine would have at now: later facts are unknown.
		if e.When().After(now) {
			continue
		}
		switch v := e.(type) {
		case domain.InvoiceFinalized:
			fin = &v
		case domain.PaymentAttempted:
			rc.Attempts = append(rc.Attempts, v)
		case domain.PaymentSucceeded:
			paid += v.Amount
		case domain.PartialPaymentReceived:
			paid += v.Amount
		case domain.DunningStarted:
			p := v.Preset
			preset = &p
		case domain.ReminderSent:
			rc.RemindersSent++
		}
	}
	if fin == nil {
		return rc, nil, badRequest(CodeInvalidValue, "invoice_id", "invoice "+invoiceID+" has not been finalized")
	}
	if len(rc.Attempts) == 0 || rc.Attempts[len(rc.Attempts)-1].Outcome != domain.Failed {
		return rc, nil, newProblem(http.StatusConflict, "invoice_not_failed", "invoice_id",
			"invoice "+invoiceID+" has no failed attempt to plan a retry after")
	}
	rc.Amount, rc.Currency = max(fin.Amount-paid, 0), fin.Currency
	last := rc.Attempts[len(rc.Attempts)-1]
	rc.PaymentMethodID, rc.Network, rc.Funding = last.PaymentMethodID, last.Network, last.Funding

	cust, err := readEvents(ctx, store, domain.CustomerStream(fin.CustomerID))
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return rc, nil, err
	}
	for _, e := range cust {
		if v, ok := e.(domain.CustomerRegistered); ok {
			rc.CustomerCountry, rc.CustomerTimeZone = v.Country, v.TimeZone
		}
	}
	card, err := readEvents(ctx, store, domain.PaymentMethodStream(rc.PaymentMethodID))
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return rc, nil, err
	}
	for _, e := range card {
		if e.When().After(now) {
			continue
		}
		switch v := e.(type) {
		case domain.PaymentMethodAttached:
			rc.Network, rc.Funding, rc.CardCountry = v.Network, v.Funding, v.Country
		case domain.PaymentMethodUpdated:
			at := v.OccurredAt
			rc.PaymentMethodUpdatedAt = &at
		case domain.CardActivityObserved:
			rc.CardActivity = append(rc.CardActivity, v.OccurredAt)
		}
	}
	for _, a := range rc.Attempts {
		if a.PaymentMethodID == rc.PaymentMethodID {
			rc.CardAttempts = append(rc.CardAttempts, a.OccurredAt)
		}
	}
	if rm != nil && rc.PaymentMethodID != "" {
		other, err := cardAttemptsElsewhere(ctx, store, rm, fin.CustomerID, invoiceID, rc.PaymentMethodID, now)
		if err != nil {
			return rc, nil, err
		}
		rc.CardAttempts = append(rc.CardAttempts, other...)
		slices.SortFunc(rc.CardAttempts, func(a, b time.Time) int { return a.Compare(b) })
	}
	return rc, preset, nil
}

// capsWindow is the longest window of the card networks' caps (domain's
// rule table: 30 days).
const capsWindow = 30 * 24 * time.Hour

// cardAttemptsElsewhere returns the times of the declined attempts on card pm made
// for the customer's invoices other than invoiceID in the caps' window
// before now. A card belongs to one customer, so the customer's invoices
// hold every attempt on it; the read model lists them with their last
// attempt, and only invoices attempted within the window are read.
func cardAttemptsElsewhere(ctx context.Context, store eventstore.Store, rm ReadModels, customer, invoiceID, pm string, now time.Time) ([]time.Time, error) {
	from := now.Add(-capsWindow)
	var out []time.Time
	page := readmodel.Page{Limit: readmodel.MaxLimit}
	for {
		l, err := rm.Invoices(ctx, readmodel.InvoiceFilter{Customer: customer}, page)
		if err != nil {
			return nil, fmt.Errorf("card attempts: list invoices of %s: %w", customer, err)
		}
		for _, inv := range l.Data {
			if inv.ID == invoiceID || inv.LastAttemptAt == nil || !inv.LastAttemptAt.After(from) {
				continue
			}
			evs, err := readEvents(ctx, store, domain.InvoiceStream(inv.ID))
			if err != nil {
				return nil, fmt.Errorf("card attempts: %w", err)
			}
			for _, e := range evs {
				if a, ok := e.(domain.PaymentAttempted); ok && a.Outcome == domain.Failed && a.PaymentMethodID == pm && a.OccurredAt.After(from) && !a.OccurredAt.After(now) {
					out = append(out, a.OccurredAt)
				}
			}
		}
		if !l.HasMore || len(l.Data) == 0 {
			return out, nil
		}
		page.StartingAfter = l.Data[len(l.Data)-1].ID
	}
}

// readEvents reads and decodes a whole stream.
func readEvents(ctx context.Context, store eventstore.Store, stream string) ([]domain.Event, error) {
	recs, err := store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		e, err := domain.Decode(r.Type, r.Data)
		if err != nil {
			return nil, fmt.Errorf("read %s revision %d: %w", stream, r.Revision, err)
		}
		out = append(out, e)
	}
	return out, nil
}
