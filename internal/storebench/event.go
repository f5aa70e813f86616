package storebench

import (
	"fmt"
	"strings"

	"github.com/recoupledger/recoup/eventstore"
)

// EventSize is the approximate size of a benchmark event's data.
const EventSize = 300

var padding = strings.Repeat("x", EventSize)

// Event returns a JSON event of about EventSize bytes, shaped like a
// payment attempt.
func Event(i int) eventstore.EventData {
	head := fmt.Sprintf(`{"invoice":"in_%012d","attempt":%d,"amount":4200,"currency":"usd","outcome":"declined","decline_code":"insufficient_funds","note":"`, i, i%8)
	body := head + padding[:max(0, EventSize-len(head)-2)] + `"}`
	return eventstore.EventData{Type: "PaymentAttempted", Data: []byte(body), Metadata: []byte(`{"schema":1}`)}
}

// Events returns n events starting at index from.
func Events(from, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = Event(from + i)
	}
	return out
}
