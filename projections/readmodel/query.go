package readmodel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// InvoiceFilter selects invoices; zero fields match everything.
type InvoiceFilter struct {
	Status       domain.InvoiceStatus
	Customer     string
	Product      string
	Subscription string
	// NextPaymentAttemptBefore keeps invoices with a retry scheduled
	// strictly before this time.
	NextPaymentAttemptBefore time.Time
}

var invoiceStatuses = []domain.InvoiceStatus{domain.InvoiceDraft, domain.InvoiceOpen, domain.InvoicePaidStatus,
	domain.InvoiceUncollectible, domain.InvoiceVoid}

var subscriptionStatuses = []domain.SubscriptionStatus{domain.SubscriptionActive, domain.SubscriptionPastDue,
	domain.SubscriptionPausedSt, domain.SubscriptionCanceledSt}

func oneOf[T ~string](field string, v T, allowed []T) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return &ArgumentError{Field: field, Rule: fmt.Sprintf("must be one of %s, not %q", strings.Join(names, ", "), v)}
}

// Invoice returns one invoice.
func (d *DB) Invoice(ctx context.Context, id string) (Invoice, error) {
	var r Invoice
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, load[Invoice](d.pdb, kindInvoice, "invoice", id, &r)
}

// Invoices lists invoices newest first. The most selective index among
// customer, product, scheduled retries and status drives the scan; the
// other conditions filter it.
func (d *DB) Invoices(ctx context.Context, f InvoiceFilter, page Page) (List[Invoice], error) {
	if err := ctx.Err(); err != nil {
		return List[Invoice]{}, err
	}
	if err := oneOf("status", f.Status, invoiceStatuses); err != nil {
		return List[Invoice]{}, err
	}
	ix := ixEntry{"all", ""}
	switch {
	case f.Customer != "":
		ix = ixEntry{"customer", f.Customer}
	case f.Product != "":
		ix = ixEntry{"product", f.Product}
	case !f.NextPaymentAttemptBefore.IsZero():
		ix = ixEntry{"retrying", ""}
	case f.Status != "":
		ix = ixEntry{"status", string(f.Status)}
	}
	keep := func(r *Invoice) bool {
		return (f.Status == "" || r.Status == f.Status) &&
			(f.Customer == "" || r.Customer == f.Customer) &&
			(f.Product == "" || r.Product == f.Product) &&
			(f.Subscription == "" || r.Subscription == f.Subscription) &&
			(f.NextPaymentAttemptBefore.IsZero() ||
				(r.NextPaymentAttempt != nil && r.NextPaymentAttempt.Before(f.NextPaymentAttemptBefore)))
	}
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	return list[Invoice](snap, kindInvoice, "invoice", ix, page, keep)
}

// SubscriptionFilter selects subscriptions; zero fields match everything.
type SubscriptionFilter struct {
	Status   domain.SubscriptionStatus
	Customer string
	Product  string
}

// Subscription returns one subscription.
func (d *DB) Subscription(ctx context.Context, id string) (Subscription, error) {
	var r Subscription
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, load[Subscription](d.pdb, kindSubscription, "subscription", id, &r)
}

// Subscriptions lists subscriptions newest first.
func (d *DB) Subscriptions(ctx context.Context, f SubscriptionFilter, page Page) (List[Subscription], error) {
	if err := ctx.Err(); err != nil {
		return List[Subscription]{}, err
	}
	if err := oneOf("status", f.Status, subscriptionStatuses); err != nil {
		return List[Subscription]{}, err
	}
	ix := ixEntry{"all", ""}
	switch {
	case f.Customer != "":
		ix = ixEntry{"customer", f.Customer}
	case f.Product != "":
		ix = ixEntry{"product", f.Product}
	case f.Status != "":
		ix = ixEntry{"status", string(f.Status)}
	}
	keep := func(r *Subscription) bool {
		return (f.Status == "" || r.Status == f.Status) &&
			(f.Customer == "" || r.Customer == f.Customer) &&
			(f.Product == "" || r.Product == f.Product)
	}
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	return list[Subscription](snap, kindSubscription, "subscription", ix, page, keep)
}

// Preset returns one preset.
func (d *DB) Preset(ctx context.Context, id string) (Preset, error) {
	var r Preset
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, load[Preset](d.pdb, kindPreset, "preset", id, &r)
}

// Presets lists presets newest first.
func (d *DB) Presets(ctx context.Context, page Page) (List[Preset], error) {
	if err := ctx.Err(); err != nil {
		return List[Preset]{}, err
	}
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	return list[Preset](snap, kindPreset, "preset", ixEntry{"all", ""}, page, nil)
}

// Account returns the default preset and collection settings (the
// defaults of a new account when nothing was recorded).
func (d *DB) Account(ctx context.Context) (Account, error) {
	r := Account{Settings: domain.DefaultCollectionSettings()}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	err := load[Account](d.pdb, kindAccount, "account", accountID, &r)
	if err != nil && !isNotFound(err) {
		return r, err
	}
	return r, nil
}

// ProductPreset is a product with the preset it uses.
type ProductPreset struct {
	Product
	// EffectivePresetID is the product's chosen preset, else the account
	// default (BuiltinDefaultPresetID when none was set).
	EffectivePresetID string `json:"effective_preset_id"`
	UsesDefault       bool   `json:"uses_default"`
}

func (a Account) resolve(p Product) ProductPreset {
	out := ProductPreset{Product: p, EffectivePresetID: p.PresetID}
	if p.PresetID == "" {
		out.UsesDefault = true
		out.EffectivePresetID = a.DefaultPresetID
		if out.EffectivePresetID == "" {
			out.EffectivePresetID = BuiltinDefaultPresetID
		}
	}
	return out
}

// Product returns a product and the preset it uses.
func (d *DB) Product(ctx context.Context, id string) (ProductPreset, error) {
	acct, err := d.Account(ctx)
	if err != nil {
		return ProductPreset{}, err
	}
	var p Product
	if err := load[Product](d.pdb, kindProduct, "product", id, &p); err != nil {
		return ProductPreset{}, err
	}
	return acct.resolve(p), nil
}

// Products lists products newest first with the preset each uses;
// presetID, when set, keeps the products that use it (the default preset
// included, for products that chose none).
func (d *DB) Products(ctx context.Context, presetID string, page Page) (List[ProductPreset], error) {
	acct, err := d.Account(ctx)
	if err != nil {
		return List[ProductPreset]{}, err
	}
	snap := d.pdb.NewSnapshot()
	defer snap.Close()
	ps, err := list[Product](snap, kindProduct, "product", ixEntry{"all", ""}, page, func(p *Product) bool {
		return presetID == "" || acct.resolve(*p).EffectivePresetID == presetID
	})
	out := List[ProductPreset]{HasMore: ps.HasMore, Data: make([]ProductPreset, len(ps.Data))}
	for i, p := range ps.Data {
		out.Data[i] = acct.resolve(p)
	}
	return out, err
}

// Card returns a payment method with its recorded activity.
func (d *DB) Card(ctx context.Context, id string) (Card, error) {
	var r Card
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, load[Card](d.pdb, kindCard, "payment method", id, &r)
}

// CardActivity returns the distinct devices that presented the card in
// (at-window, at]; window is at most MaxActivityWindow.
func (d *DB) CardActivity(ctx context.Context, id string, at time.Time, window time.Duration) (CardActivity, error) {
	if window <= 0 || window > MaxActivityWindow {
		return CardActivity{}, &ArgumentError{Field: "window", Rule: fmt.Sprintf("must be in (0, %s]", MaxActivityWindow)}
	}
	c, err := d.Card(ctx, id)
	if err != nil {
		return CardActivity{}, err
	}
	return c.Activity(at, window), nil
}
