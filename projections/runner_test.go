package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/readmodel"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// invoiceHistory is n invoices: each finalized and attempted; odd ones
// fail and then get paid on a retry.
func invoiceHistory(from, n int) []domain.Event {
	var evs []domain.Event
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("in_%03d", i)
		b := domain.Base{OccurredAt: t0.Add(time.Duration(i) * time.Hour)}
		evs = append(evs,
			domain.InvoiceFinalized{Base: b, InvoiceID: id, CustomerID: "cus_1", PaymentMethodID: "pm_1", Amount: 100, Currency: "usd",
				CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true},
			domain.PaymentAttempted{Base: b, InvoiceID: id, PaymentMethodID: "pm_1", AttemptNumber: 1, Amount: 100, Currency: "usd",
				Outcome: domain.Outcome(map[bool]string{true: "failed", false: "succeeded"}[i%2 == 1]), Initiator: domain.InitiatorInitial})
		if i%2 == 1 {
			evs = append(evs, domain.RetryScheduled{Base: b, InvoiceID: id, AttemptNumber: 2, At: b.OccurredAt.Add(24 * time.Hour), Source: domain.SourceSchedule})
		}
		evs = append(evs, domain.InvoicePaid{Base: b, InvoiceID: id, AmountPaid: 100})
	}
	return evs
}

func appendEvents(t testing.TB, s eventstore.Store, evs []domain.Event) {
	t.Helper()
	for _, e := range evs {
		typ, data, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Append(context.Background(), e.StreamName(), eventstore.Any,
			eventstore.EventData{Type: typ, Data: data, Metadata: domain.EncodeMetadata(domain.Metadata{})})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t testing.TB) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openReadModel(t testing.TB) *readmodel.DB {
	t.Helper()
	db, err := readmodel.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func head(t testing.TB, s eventstore.Store) eventstore.Position {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("head: %v %v", evs, err)
	}
	return evs[0].Position
}

func allInvoices(t testing.TB, db *readmodel.DB) string {
	t.Helper()
	var out []readmodel.Invoice
	page := readmodel.Page{Limit: readmodel.MaxLimit}
	for {
		l, err := db.Invoices(context.Background(), readmodel.InvoiceFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Data...)
		if !l.HasMore {
			break
		}
		page.StartingAfter = l.Data[len(l.Data)-1].ID
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestRunnerCatchUpThenLive(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	db := openReadModel(t)
	appendEvents(t, store, invoiceHistory(0, 40))

	metrics := projections.NewMetrics()
	r, err := projections.NewRunner(store, projections.Options{BatchSize: 16, Metrics: metrics}, readmodel.Projections(db)...)
	if err != nil {
		t.Fatal(err)
	}
	lag, err := r.Lag(ctx)
	if err != nil || lag[readmodel.NameInvoices] != 140 {
		t.Fatalf("lag before the first run = %v %v, want all 140 events", lag, err)
	}
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range readmodel.Projections(db) {
		cp, ok, err := p.Checkpoint(ctx)
		if err != nil || !ok || cp != head(t, store) {
			t.Fatalf("%s: checkpoint %v %v %v, want the head %v", p.Name(), cp, ok, err, head(t, store))
		}
	}
	if got := testutil.ToFloat64(must(t, metrics, readmodel.NameInvoices)); got != 0 {
		t.Fatalf("lag gauge after catch-up = %v", got)
	}

	// Live: events appended while Run follows $all get projected.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	appendEvents(t, store, invoiceHistory(40, 25))
	deadline := time.Now().Add(20 * time.Second)
	for {
		inv, err := db.Invoice(ctx, "in_064")
		if err == nil && inv.Status == domain.InvoicePaidStatus {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("live event not projected: %+v %v", inv, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	live := allInvoices(t, db)

	// The same history rebuilt from zero gives the same state.
	fresh := openReadModel(t)
	r2, _ := projections.NewRunner(store, projections.Options{}, readmodel.Projections(fresh)...)
	if err := r2.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := allInvoices(t, fresh); got != live {
		t.Fatalf("rebuild differs from incremental:\n%s\n%s", got, live)
	}
	lag, err = r2.Lag(ctx)
	if err != nil || lag[readmodel.NameInvoices] != 0 || lag[readmodel.NameCards] != 0 {
		t.Fatalf("lag after rebuild: %v %v", lag, err)
	}
}

func must(t testing.TB, m *projections.Metrics, name string) prometheus.Collector {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range m.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	return m.LagGauge(name)
}

func TestRunnerLagAndRebuildOfOneProjection(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	db := openReadModel(t)
	appendEvents(t, store, invoiceHistory(0, 10)) // 35 events
	r, _ := projections.NewRunner(store, projections.Options{BatchSize: 7}, readmodel.Projections(db)...)
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, store, invoiceHistory(10, 2)) // 7 more
	lag, err := r.Lag(ctx)
	if err != nil || lag[readmodel.NameInvoices] != 7 || lag[readmodel.NamePresets] != 7 {
		t.Fatalf("lag = %v %v, want 7 behind", lag, err)
	}
	before := allInvoices(t, db)

	// Rebuild only invoices: the others keep their checkpoints.
	inv := readmodel.NewInvoices(db)
	cards := readmodel.NewCards(db)
	cardsCP, _, _ := cards.Checkpoint(ctx)
	one, _ := projections.NewRunner(store, projections.Options{}, inv)
	if err := one.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if cp, _, _ := cards.Checkpoint(ctx); cp != cardsCP {
		t.Fatalf("cards checkpoint moved: %v -> %v", cardsCP, cp)
	}
	if cp, _, _ := inv.Checkpoint(ctx); cp != head(t, store) {
		t.Fatalf("invoices checkpoint %v, want head %v", cp, head(t, store))
	}
	after := allInvoices(t, db)
	if len(after) <= len(before) {
		t.Fatalf("rebuild lost invoices: %d -> %d bytes", len(before), len(after))
	}
	// Catching the rest up starts from the lowest checkpoint and skips
	// what each projection already has.
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := allInvoices(t, db); got != after {
		t.Fatal("catching up other projections changed invoices")
	}
}

func TestRunnerRefusesDuplicateNames(t *testing.T) {
	db := openReadModel(t)
	_, err := projections.NewRunner(openStore(t), projections.Options{}, readmodel.NewInvoices(db), readmodel.NewInvoices(db))
	if err == nil {
		t.Fatal("duplicate projection names accepted")
	}
}

func TestRunnerStopsOnAFailingProjection(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	db := openReadModel(t)
	appendEvents(t, store, invoiceHistory(0, 3))
	_, err := store.Append(ctx, "invoice-in_bad", eventstore.Any, eventstore.EventData{Type: domain.TypeInvoicePaid, Data: []byte(`{"invoice_id":"in_bad","amount_paid":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := projections.NewRunner(store, projections.Options{BatchSize: 2}, readmodel.NewInvoices(db))
	err = r.CatchUp(ctx)
	if err == nil || !strings.Contains(err.Error(), "invoices") || !strings.Contains(err.Error(), "amount_paid") {
		t.Fatalf("err = %v, want one naming the projection and the field", err)
	}
}
