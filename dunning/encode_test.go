package dunning

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// TestEncoderMatchesDomainEncode: the engine's block encoder gives the
// bytes domain.Encode gives, for events that fill several blocks and for
// one larger than a block, and every event's data stays intact until the
// encoder is reset.
func TestEncoderMatchesDomainEncode(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	big := strings.Repeat("<é&>", encodeBlock/2) // escaped, so larger than a block
	var evs []domain.Event
	for i := range 2000 {
		b := domain.Base{OccurredAt: t0.Add(time.Duration(i) * time.Minute)}
		evs = append(evs,
			domain.CustomerRegistered{Base: b, CustomerID: "cus_" + strings.Repeat("x", i%50), Email: "a<b>@example.test", Country: "US", TimeZone: "America/New_York"},
			domain.PaymentAttempted{Base: b, InvoiceID: "in_1", PaymentMethodID: "pm_1", AttemptNumber: i, Amount: int64(i), Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds"})
		if i == 1000 {
			evs = append(evs, domain.CustomerRegistered{Base: b, CustomerID: "cus_big", Name: big})
		}
	}
	enc := newEncoder()
	var got [][]byte
	for _, ev := range evs {
		typ, data, err := enc.encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if typ != ev.EventType() {
			t.Fatalf("type %s, want %s", typ, ev.EventType())
		}
		got = append(got, data)
	}
	blocks := len(enc.w.used) + 1
	if blocks < 3 {
		t.Fatalf("%d blocks for %d events; want several", blocks, len(evs))
	}
	for i, ev := range evs {
		_, want, _ := domain.Encode(ev)
		if !bytes.Equal(got[i], want) {
			t.Fatalf("event %d: %q, want domain.Encode's %q", i, got[i], want)
		}
	}
	// Reused blocks take new events; one larger than a block is not kept.
	enc.reset()
	if n := len(enc.free); n != blocks-1 {
		t.Fatalf("%d blocks kept for reuse, want %d (all but the large event's)", n, blocks-1)
	}
	_, data, _ := enc.encode(evs[0])
	if _, want, _ := domain.Encode(evs[0]); !bytes.Equal(data, want) {
		t.Fatalf("after reuse: %q, want %q", data, want)
	}
}
