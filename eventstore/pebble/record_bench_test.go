package pebble

import (
	"testing"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// BenchmarkDecodeRecord measures checking and copying out one ~300-byte
// event, the store's own share of every read.
func BenchmarkDecodeRecord(b *testing.B) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = 'x'
	}
	e := eventstore.EventData{Type: "PaymentAttempted", Data: data, Metadata: []byte(`{"schema":1}`)}
	rec := encodeRecord(nil, "invoice-123456", uuid.New(), &e)
	sealRecord(rec, 42, 7, 1_700_000_000_000_000_000)
	out := make([]eventstore.RecordedEvent, 1024)
	var ar arena
	b.SetBytes(int64(len(rec)))
	for i := 0; b.Loop(); i++ {
		v, err := parseRecord(42, rec)
		if err != nil {
			b.Fatal(err)
		}
		v.materialize(&ar, 42, &out[i%len(out)])
	}
}
