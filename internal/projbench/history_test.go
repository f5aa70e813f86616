package projbench

import (
	"testing"

	"github.com/recoupledger/recoup/domain"
)

// TestHistoryIsAValidLedger checks that every generated event passes the
// domain's strict decoder and lands on its own stream, and that the mix
// includes failures, recoveries and churn.
func TestHistoryIsAValidLedger(t *testing.T) {
	h := NewHistory(1, 50)
	counts := map[string]int{}
	for range 5000 {
		a := h.Next()
		for _, e := range a.Events {
			if e.StreamName() != a.Stream {
				t.Fatalf("%s on %s, want %s", e.EventType(), a.Stream, e.StreamName())
			}
			typ, data, err := domain.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := domain.Decode(typ, data); err != nil {
				t.Fatalf("%s does not decode: %v", typ, err)
			}
			counts[typ]++
		}
	}
	for _, typ := range []string{domain.TypeCustomerRegistered, domain.TypePaymentMethodAttached, domain.TypeInvoiceFinalized,
		domain.TypePaymentAttempted, domain.TypeInvoicePaid, domain.TypeDunningStarted, domain.TypeDunningExhausted, domain.TypeCardActivityObserved} {
		if counts[typ] == 0 {
			t.Errorf("no %s in 5000 appends", typ)
		}
	}
}
