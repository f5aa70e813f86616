package dunning_test

import (
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
)

// Two invoices retry at the same time, so their decisions share one
// flush (one multi-stream append on the embedded store); another writer
// gets to the first invoice meanwhile. The refused invoice's stale
// attempt is not written, and the other invoice's decisions still are.
func TestConflictInOneFlushKeepsTheRest(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	h.customer("2", domain.Visa)
	inv1 := h.failedRenewal("1", "insufficient_funds")
	inv2 := h.failedRenewal("2", "insufficient_funds")
	h.gw.set(func(r dunning.ChargeRequest) dunning.ChargeResult {
		if r.InvoiceID == inv1 && r.AttemptNumber == 2 {
			b := domain.Base{OccurredAt: r.At}
			h.record(domain.PartialPaymentReceived{Base: b, InvoiceID: inv1, Amount: 2500}, domain.InvoicePaid{Base: b, InvoiceID: inv1, AmountPaid: 2500})
		}
		return decline("insufficient_funds")
	})
	h.advance(at(day + time.Hour))
	// On return every decision up to now is written: the other invoice's
	// retry is recorded by the flush that refused the first's.
	t1, t2 := h.gw.attemptTimes(inv1), h.gw.attemptTimes(inv2)
	if len(t1) != 1 || len(t2) != 1 || !t1[0].Equal(t2[0]) {
		t.Fatalf("want one retry of each invoice, charged together: %v and %v", t1, t2)
	}
	if n := len(ofType[domain.PaymentAttempted](h.events(domain.InvoiceStream(inv2)))); n != 2 {
		t.Fatalf("%s: %d attempts recorded after its retry, want 2: the flush that held the refused invoice lost the other's decisions", inv2, n)
	}
	h.advance(at(30 * day))
	if n := len(ofType[domain.PaymentAttempted](h.events(domain.InvoiceStream(inv1)))); n != 1 {
		t.Fatalf("%s: %d attempts recorded, want only the first (the stale retry must not be written)", inv1, n)
	}
}
