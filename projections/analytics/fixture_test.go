package analytics

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func b(s string) domain.Base { return domain.Base{OccurredAt: ts(s)} }

// fixture is a small history whose figures are computed by hand in
// queries_test.go:
//
//	A  cus_ny  1000  fails insufficient_funds 01-05 14:00Z, retry fails 01-06 14:00Z,
//	                 retry (smart) succeeds 01-08 05:00Z (NY 00:00 Thu): recovered after 63 h, 2 retries
//	B  cus_ny  2000  fails do_not_honor 01-10 12:00Z, retry (schedule) succeeds 01-11 12:00Z
//	                 (NY 07:00 Sun): recovered after 24 h, 1 retry
//	C  cus_de  5000  fails expired_card 02-01 10:00Z (Berlin 11:00 Sun), exhausted, uncollectible: lost
//	D  cus_de  3000  succeeds at once: no case
//	E  cus_ny  4000  fails insufficient_funds 02-03 15:00Z, retry fails 02-04 15:00Z (NY 10:00 Wed): open
//
// A, B, E run preset pre_x on a Visa debit card; C the default preset on
// a Mastercard credit card. Subscriptions s1, s2 start in December, s3 on
// 01-15; s2 is canceled for failed payment and s3 by the customer in
// February.
func fixture() []domain.Event {
	x := domain.PresetSpec{Name: "X", RetriesEnabled: true, Schedule: []int{1, 2}, DuringRecovery: domain.DuringKeepActive,
		AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceLeaveOverdue}
	def := domain.DefaultPresetSpec()
	attempt := func(at, inv, pm string, n int, amount int64, outcome domain.Outcome, code string, init domain.Initiator, src domain.RetrySource) domain.PaymentAttempted {
		a := domain.PaymentAttempted{Base: b(at), InvoiceID: inv, PaymentMethodID: pm, AttemptNumber: n, Amount: amount, Currency: "usd",
			Outcome: outcome, DeclineCode: code, Initiator: init, Source: src}
		if src != "" {
			a.Propensity = 0.9
		}
		return a
	}
	fin := func(at, inv, cust, prod, pm string, amount int64) domain.InvoiceFinalized {
		return domain.InvoiceFinalized{Base: b(at), InvoiceID: inv, CustomerID: cust, ProductID: prod, PaymentMethodID: pm, Amount: amount,
			Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true}
	}
	return []domain.Event{
		domain.CustomerRegistered{Base: b("2025-12-01T00:00:00Z"), CustomerID: "cus_ny", Country: "US", TimeZone: "America/New_York"},
		domain.CustomerRegistered{Base: b("2025-12-01T00:00:00Z"), CustomerID: "cus_de", Country: "DE", TimeZone: "Europe/Berlin"},
		domain.PaymentMethodAttached{Base: b("2025-12-01T00:00:00Z"), PaymentMethodID: "pm_v", CustomerID: "cus_ny", Network: domain.Visa, Funding: domain.Debit, Country: "US", ExpMonth: 1, ExpYear: 2030},
		domain.PaymentMethodAttached{Base: b("2025-12-01T00:00:00Z"), PaymentMethodID: "pm_m", CustomerID: "cus_de", Network: domain.Mastercard, Funding: domain.Credit, Country: "DE", ExpMonth: 1, ExpYear: 2030},
		domain.SubscriptionStarted{Base: b("2025-12-02T00:00:00Z"), SubscriptionID: "s1", CustomerID: "cus_ny", ProductID: "prod_a", Amount: 1000, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
		domain.SubscriptionStarted{Base: b("2025-12-03T00:00:00Z"), SubscriptionID: "s2", CustomerID: "cus_de", ProductID: "prod_b", Amount: 5000, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
		domain.SubscriptionStarted{Base: b("2026-01-15T00:00:00Z"), SubscriptionID: "s3", CustomerID: "cus_ny", ProductID: "prod_a", Amount: 700, Currency: "usd", Interval: domain.Month, IntervalCount: 1},

		fin("2026-01-05T14:00:00Z", "A", "cus_ny", "prod_a", "pm_v", 1000),
		attempt("2026-01-05T14:00:00Z", "A", "pm_v", 1, 1000, domain.Failed, "insufficient_funds", domain.InitiatorInitial, ""),
		domain.DunningStarted{Base: b("2026-01-05T14:00:00Z"), InvoiceID: "A", PresetID: "pre_x", Preset: x},
		domain.RetryScheduled{Base: b("2026-01-05T14:00:00Z"), InvoiceID: "A", AttemptNumber: 2, At: ts("2026-01-06T14:00:00Z"), Source: domain.SourceSchedule},
		domain.ReminderSent{Base: b("2026-01-05T14:01:00Z"), InvoiceID: "A", Kind: domain.ReminderPaymentFailed, Channel: "email"},
		attempt("2026-01-06T14:00:00Z", "A", "pm_v", 2, 1000, domain.Failed, "insufficient_funds", domain.InitiatorRetry, domain.SourceSchedule),
		attempt("2026-01-08T05:00:00Z", "A", "pm_v", 3, 1000, domain.Succeeded, "", domain.InitiatorRetry, domain.SourceSmart),
		domain.InvoicePaid{Base: b("2026-01-08T05:00:00Z"), InvoiceID: "A", AmountPaid: 1000},

		fin("2026-01-10T12:00:00Z", "B", "cus_ny", "prod_a", "pm_v", 2000),
		attempt("2026-01-10T12:00:00Z", "B", "pm_v", 1, 2000, domain.Failed, "do_not_honor", domain.InitiatorInitial, ""),
		domain.DunningStarted{Base: b("2026-01-10T12:00:00Z"), InvoiceID: "B", PresetID: "pre_x", Preset: x},
		attempt("2026-01-11T12:00:00Z", "B", "pm_v", 2, 2000, domain.Succeeded, "", domain.InitiatorRetry, domain.SourceSchedule),
		domain.InvoicePaid{Base: b("2026-01-11T12:00:00Z"), InvoiceID: "B", AmountPaid: 2000},

		fin("2026-02-01T10:00:00Z", "C", "cus_de", "prod_b", "pm_m", 5000),
		attempt("2026-02-01T10:00:00Z", "C", "pm_m", 1, 5000, domain.Failed, "expired_card", domain.InitiatorInitial, ""),
		domain.DunningStarted{Base: b("2026-02-01T10:00:00Z"), InvoiceID: "C", PresetID: "default", Preset: def},
		domain.DunningExhausted{Base: b("2026-02-08T10:00:00Z"), InvoiceID: "C", Attempts: 1},
		domain.InvoiceMarkedUncollectible{Base: b("2026-02-08T10:00:00Z"), InvoiceID: "C"},

		fin("2026-02-02T10:00:00Z", "D", "cus_de", "prod_b", "pm_m", 3000),
		attempt("2026-02-02T10:00:00Z", "D", "pm_m", 1, 3000, domain.Succeeded, "", domain.InitiatorInitial, ""),
		domain.InvoicePaid{Base: b("2026-02-02T10:00:00Z"), InvoiceID: "D", AmountPaid: 3000},

		fin("2026-02-03T15:00:00Z", "E", "cus_ny", "prod_a", "pm_v", 4000),
		attempt("2026-02-03T15:00:00Z", "E", "pm_v", 1, 4000, domain.Failed, "insufficient_funds", domain.InitiatorInitial, ""),
		domain.DunningStarted{Base: b("2026-02-03T15:00:00Z"), InvoiceID: "E", PresetID: "pre_x", Preset: x},
		attempt("2026-02-04T15:00:00Z", "E", "pm_v", 2, 4000, domain.Failed, "insufficient_funds", domain.InitiatorRetry, domain.SourceSchedule),

		domain.SubscriptionCanceled{Base: b("2026-02-10T00:00:00Z"), SubscriptionID: "s2", Reason: "payment_failed", InvoiceID: "C"},
		domain.SubscriptionCanceled{Base: b("2026-02-20T00:00:00Z"), SubscriptionID: "s3", Reason: "customer_request"},
	}
}

func record(t testing.TB, evs []domain.Event) []eventstore.RecordedEvent {
	t.Helper()
	out := make([]eventstore.RecordedEvent, len(evs))
	for i, e := range evs {
		typ, data, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		pos := uint64(i)*2 + 1
		out[i] = eventstore.RecordedEvent{Stream: e.StreamName(), Type: typ, Data: data, Position: eventstore.Position{Commit: pos, Prepare: pos}}
	}
	return out
}

func openDB(t testing.TB, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, "256MB")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newProjection(t testing.TB, db *DB) *Projection {
	t.Helper()
	p, err := NewProjection(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// project applies events in batches of size, as the runner would.
func project(t testing.TB, p *Projection, events []eventstore.RecordedEvent, size int) {
	t.Helper()
	for i := 0; i < len(events); i += size {
		if err := p.Apply(context.Background(), events[i:min(i+size, len(events))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Sync(context.Background()); err != nil { // as the Runner does at the head
		t.Fatal(err)
	}
}

// fixtureDB is a closed analytics database holding the fixture.
func fixtureDB(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "analytics.duckdb")
	db := openDB(t, path)
	p := newProjection(t, db)
	project(t, p, record(t, fixture()), 5)
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
