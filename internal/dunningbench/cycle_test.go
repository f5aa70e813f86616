package dunningbench_test

import (
	"context"
	"testing"

	"github.com/recoupledger/recoup/internal/dunningbench"
)

// TestCycleRuns checks the bench loop on a few invoices: every invoice
// goes through the whole default cycle.
func TestCycleRuns(t *testing.T) {
	c, err := dunningbench.Run(context.Background(), t.TempDir(), 50)
	if err != nil {
		t.Fatal(err)
	}
	// 4 attempts, 3 retries scheduled, run start, 4 payment-failed emails
	// scheduled and recorded, exhaustion, overdue, pause and cancel: 20.
	if got := c.EventsPerInvoice(); got != 20 {
		t.Fatalf("%.2f events per invoice, want 20", got)
	}
}

// BenchmarkEngineInvoices is dunning.engine.invoices_per_s as a go test
// benchmark: b.N invoices through a full cycle.
func BenchmarkEngineInvoices(b *testing.B) {
	n := max(b.N, 100)
	c, err := dunningbench.Run(context.Background(), b.TempDir(), n)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(c.PerSecond(), "invoices/s")
	b.ReportMetric(c.EventsPerInvoice(), "events/invoice")
}
