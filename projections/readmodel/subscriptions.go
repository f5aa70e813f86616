package readmodel

import (
	"context"
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections/eventjson"
)

const kindSubscription = "sub"

// Subscription is the subscription read model.
type Subscription struct {
	ID            string                    `json:"id"`
	Customer      string                    `json:"customer"`
	Product       string                    `json:"product"`
	PaymentMethod string                    `json:"payment_method,omitempty"`
	Status        domain.SubscriptionStatus `json:"status"`
	// StatusReason is the reason recorded with the last status change
	// (e.g. payment_failed, customer_request, dunning).
	StatusReason   string          `json:"status_reason,omitempty"`
	Amount         int64           `json:"amount"`
	Currency       string          `json:"currency"`
	Interval       domain.Interval `json:"interval"`
	IntervalCount  int             `json:"interval_count"`
	LatestInvoice  string          `json:"latest_invoice,omitempty"`
	Created        time.Time       `json:"created"`
	PausedAt       *time.Time      `json:"paused_at"`
	CanceledAt     *time.Time      `json:"canceled_at"`
	CancelReason   string          `json:"cancellation_reason,omitempty"`
	PastDueInvoice string          `json:"past_due_invoice,omitempty"`
	UpdatedAt      time.Time       `json:"updated_at"`

	seq, applied uint64
}

func (r *Subscription) sequence() uint64 { return r.seq }
func (r *Subscription) settled() bool    { return r.Status == domain.SubscriptionCanceledSt }

func (r *Subscription) indexes(dst []ixEntry) []ixEntry {
	dst = append(dst, ixEntry{"all", ""}, ixEntry{"status", string(r.Status)})
	if r.Customer != "" {
		dst = append(dst, ixEntry{"customer", r.Customer})
	}
	if r.Product != "" {
		dst = append(dst, ixEntry{"product", r.Product})
	}
	return dst
}

func (r *Subscription) encode(e *enc) {
	e.u(r.seq)
	e.u(r.applied)
	for _, s := range []string{r.ID, r.Customer, r.Product, r.PaymentMethod, string(r.Status), r.StatusReason,
		r.Currency, string(r.Interval), r.LatestInvoice, r.CancelReason, r.PastDueInvoice} {
		e.s(s)
	}
	e.i(r.Amount)
	e.n(r.IntervalCount)
	e.t(r.Created)
	e.tp(r.PausedAt)
	e.tp(r.CanceledAt)
	e.t(r.UpdatedAt)
}

func (r *Subscription) decode(d *dec) {
	r.seq, r.applied = d.u(), d.u()
	r.ID, r.Customer, r.Product, r.PaymentMethod = d.s(), d.s(), d.s(), d.s()
	r.Status, r.StatusReason = domain.SubscriptionStatus(d.s()), d.s()
	r.Currency, r.Interval, r.LatestInvoice = d.s(), domain.Interval(d.s()), d.s()
	r.CancelReason, r.PastDueInvoice = d.s(), d.s()
	r.Amount, r.IntervalCount = d.i(), d.n()
	r.Created, r.PausedAt, r.CanceledAt, r.UpdatedAt = d.t(), d.tp(), d.tp(), d.t()
}

// Subscriptions projects subscription events into Subscription records.
type Subscriptions struct {
	base
	t *table[Subscription, *Subscription]
}

// NewSubscriptions returns the subscriptions projection over db.
func NewSubscriptions(db *DB) *Subscriptions {
	p := &Subscriptions{t: newTable[Subscription](kindSubscription, defaultMaxCached, 1<<20)}
	p.base = base{db: db, name: NameSubscriptions, kinds: []string{kindSubscription}, tables: []flusher{p.t}}
	return p
}

// Apply implements projections.Projection.
func (p *Subscriptions) Apply(ctx context.Context, events []eventstore.RecordedEvent) error {
	return p.apply(ctx, events, p.handle)
}

func (p *Subscriptions) handle(ev *eventstore.RecordedEvent) error {
	switch ev.Type {
	case domain.TypeSubscriptionStarted, domain.TypeSubscriptionPaused, domain.TypeSubscriptionResumed,
		domain.TypeSubscriptionCanceled, domain.TypeSubscriptionMarkedPastDue:
	default:
		return nil
	}
	f, err := p.decode(ev)
	if err != nil {
		return err
	}
	if len(f.SubscriptionID) == 0 {
		return fmt.Errorf("%s at %d: subscription_id: must not be empty", ev.Type, ev.Position.Commit)
	}
	e, err := p.t.get(p.db, p.wait, f.SubscriptionID)
	if err != nil {
		return err
	}
	r := &e.cur
	if r.applied > ev.Position.Commit {
		return nil
	}
	if r.ID == "" {
		*r = Subscription{ID: e.id, seq: ev.Position.Commit, Created: f.OccurredAt.UTC(), Status: domain.SubscriptionActive}
	}
	applySubscription(r, ev.Type, f, p.names)
	r.applied = ev.Position.Commit + 1
	r.UpdatedAt = f.OccurredAt.UTC()
	p.t.touch(e)
	return nil
}

// applySubscription changes r by one event; canceled is final.
func applySubscription(r *Subscription, typ string, f *eventjson.Fields, in interner) {
	at := f.OccurredAt.UTC()
	if r.Status == domain.SubscriptionCanceledSt && typ != domain.TypeSubscriptionStarted {
		return
	}
	switch typ {
	case domain.TypeSubscriptionStarted:
		setStr(&r.Customer, f.CustomerID)
		in.set(&r.Product, f.ProductID)
		setStr(&r.PaymentMethod, f.PaymentMethodID)
		in.set(&r.Currency, f.Currency)
		r.Amount, r.Interval, r.IntervalCount = f.Amount, domain.Interval(in.str(f.Interval)), f.IntervalCount
		r.Created = at
	case domain.TypeSubscriptionPaused:
		r.Status, r.PausedAt = domain.SubscriptionPausedSt, &at
		in.set(&r.StatusReason, f.Reason)
		setInvoice(r, f.InvoiceID)
	case domain.TypeSubscriptionResumed:
		r.Status, r.PausedAt, r.PastDueInvoice = domain.SubscriptionActive, nil, ""
		in.set(&r.StatusReason, f.Reason)
		setInvoice(r, f.InvoiceID)
	case domain.TypeSubscriptionCanceled:
		r.Status, r.CanceledAt = domain.SubscriptionCanceledSt, &at
		in.set(&r.StatusReason, f.Reason)
		in.set(&r.CancelReason, f.Reason)
		setInvoice(r, f.InvoiceID)
	case domain.TypeSubscriptionMarkedPastDue:
		r.Status, r.StatusReason = domain.SubscriptionPastDue, "payment_failed"
		setStr(&r.PastDueInvoice, f.InvoiceID)
		setInvoice(r, f.InvoiceID)
	}
}

func setInvoice(r *Subscription, id []byte) {
	if len(id) > 0 {
		setStr(&r.LatestInvoice, id)
	}
}
