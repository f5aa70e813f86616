package readmodel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// manyInvoices finalizes n invoices: customers alternate, every fourth
// has a retry scheduled at hour i, every third is paid.
func manyInvoices(n int) []domain.Event {
	var evs []domain.Event
	for i := range n {
		id := fmt.Sprintf("in_%03d", i)
		cust := fmt.Sprintf("cus_%d", i%2)
		evs = append(evs, domain.InvoiceFinalized{Base: at(float64(i)), InvoiceID: id, CustomerID: cust, ProductID: fmt.Sprintf("prod_%d", i%3),
			Amount: 100, Currency: "usd", CollectionMethod: domain.ChargeAutomatically})
		if i%4 == 0 {
			evs = append(evs, domain.RetryScheduled{Base: at(float64(i)), InvoiceID: id, AttemptNumber: 2, At: t0.Add(time.Duration(i) * time.Hour)})
		}
		if i%3 == 0 {
			evs = append(evs, domain.InvoicePaid{Base: at(float64(i)), InvoiceID: id, AmountPaid: 100})
		}
	}
	return evs
}

func ids(l List[Invoice]) []string {
	out := make([]string, len(l.Data))
	for i, r := range l.Data {
		out[i] = r.ID
	}
	return out
}

func TestListInvoices(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	defer db.Close()
	applyAll(t, Projections(db), record(t, manyInvoices(30)), 7)

	tests := []struct {
		name    string
		filter  InvoiceFilter
		page    Page
		want    []string
		hasMore bool
	}{
		{"newest first", InvoiceFilter{}, Page{Limit: 3}, []string{"in_029", "in_028", "in_027"}, true},
		{"starting after", InvoiceFilter{}, Page{Limit: 2, StartingAfter: "in_027"}, []string{"in_026", "in_025"}, true},
		{"ending before", InvoiceFilter{}, Page{Limit: 2, EndingBefore: "in_025"}, []string{"in_027", "in_026"}, true},
		{"ending before the top", InvoiceFilter{}, Page{Limit: 5, EndingBefore: "in_027"}, []string{"in_029", "in_028"}, false},
		{"last page", InvoiceFilter{}, Page{Limit: 5, StartingAfter: "in_002"}, []string{"in_001", "in_000"}, false},
		{"status", InvoiceFilter{Status: domain.InvoicePaidStatus}, Page{Limit: 4}, []string{"in_027", "in_024", "in_021", "in_018"}, true},
		{"customer and status", InvoiceFilter{Customer: "cus_1", Status: domain.InvoiceOpen}, Page{Limit: 3}, []string{"in_029", "in_025", "in_023"}, true},
		{"product", InvoiceFilter{Product: "prod_2"}, Page{Limit: 2, StartingAfter: "in_026"}, []string{"in_023", "in_020"}, true},
		// in_000, in_012 and in_024 were paid, which cleared their retry.
		{"retry before", InvoiceFilter{NextPaymentAttemptBefore: t0.Add(20 * time.Hour)}, Page{Limit: 10}, []string{"in_016", "in_008", "in_004"}, false},
		{"retry before, open only", InvoiceFilter{NextPaymentAttemptBefore: t0.Add(9 * time.Hour), Status: domain.InvoiceOpen}, Page{}, []string{"in_008", "in_004"}, false},
		{"nothing", InvoiceFilter{Customer: "cus_9"}, Page{}, []string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Invoices(ctx, tt.filter, tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) || got.HasMore != tt.hasMore {
				t.Fatalf("got %v has_more=%v, want %v has_more=%v", ids(got), got.HasMore, tt.want, tt.hasMore)
			}
		})
	}
}

func TestListWalksEveryPageOnce(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	defer db.Close()
	applyAll(t, Projections(db), record(t, manyInvoices(23)))
	var seen []string
	page := Page{Limit: 4}
	for {
		l, err := db.Invoices(ctx, InvoiceFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(l)...)
		if !l.HasMore {
			break
		}
		page.StartingAfter = l.Data[len(l.Data)-1].ID
	}
	if len(seen) != 23 || seen[0] != "in_022" || seen[22] != "in_000" {
		t.Fatalf("walked %v", seen)
	}
	// And back up with ending_before.
	var back []string
	page = Page{Limit: 5, EndingBefore: "in_000"}
	for {
		l, err := db.Invoices(ctx, InvoiceFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		back = append(ids(l), back...)
		if !l.HasMore {
			break
		}
		page.EndingBefore = l.Data[0].ID
	}
	if !slices.Equal(back, seen[:22]) {
		t.Fatalf("walked back %v", back)
	}
}

func TestListRefusesBadArguments(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	defer db.Close()
	applyAll(t, Projections(db), record(t, manyInvoices(3)))
	tests := []struct {
		name   string
		filter InvoiceFilter
		page   Page
		field  string
		kind   error
	}{
		{"limit too big", InvoiceFilter{}, Page{Limit: 101}, "limit", ErrInvalidArgument},
		{"limit negative", InvoiceFilter{}, Page{Limit: -1}, "limit", ErrInvalidArgument},
		{"both cursors", InvoiceFilter{}, Page{StartingAfter: "in_001", EndingBefore: "in_000"}, "ending_before", ErrInvalidArgument},
		{"bad status", InvoiceFilter{Status: "late"}, Page{}, "status", ErrInvalidArgument},
		{"unknown cursor", InvoiceFilter{}, Page{StartingAfter: "in_x"}, "starting_after", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Invoices(ctx, tt.filter, tt.page)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want it to name %s", err, tt.field)
			}
		})
	}
	if _, err := db.Subscriptions(ctx, SubscriptionFilter{Status: "gone"}, Page{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("subscription status: err = %v", err)
	}
	if _, err := db.Invoice(ctx, "in_missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing invoice: err = %v", err)
	}
	if _, err := db.CardActivity(ctx, "pm_1", t0, 8*24*time.Hour); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("window: err = %v", err)
	}
}

func TestSubscriptionFilters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	defer db.Close()
	applyAll(t, Projections(db), record(t, scenario()))
	l, err := db.Subscriptions(ctx, SubscriptionFilter{Status: domain.SubscriptionCanceledSt}, Page{})
	if err != nil || len(l.Data) != 1 || l.Data[0].ID != "sub_2" || l.Data[0].CancelReason != "payment_failed" {
		t.Fatalf("canceled: %+v %v", l, err)
	}
	l, err = db.Subscriptions(ctx, SubscriptionFilter{Customer: "cus_1", Product: "prod_b"}, Page{})
	if err != nil || len(l.Data) != 1 || l.Data[0].ID != "sub_3" {
		t.Fatalf("customer+product: %+v %v", l, err)
	}
	ps, err := db.Products(ctx, "pre_soft", Page{})
	if err != nil || len(ps.Data) != 2 || !ps.Data[0].UsesDefault {
		t.Fatalf("products using the default pre_soft: %+v %v", ps, err)
	}
}
