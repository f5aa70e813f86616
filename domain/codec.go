package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// SchemaVersion is the version of the event JSON written by this code.
// Decoders accept every version up to it.
const SchemaVersion = 1

// Metadata travels with each stored event.
type Metadata struct {
	Schema         int    `json:"schema"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	CorrelationID  string `json:"correlation_id,omitempty"`
	CausationID    string `json:"causation_id,omitempty"`
}

func webhookStream(invoiceID string) string {
	if invoiceID == "" {
		return "webhooks"
	}
	return InvoiceStream(invoiceID)
}

// EventTypes lists every event type of the catalogue, sorted.
func EventTypes() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Encode returns an event's stored type and JSON data.
func Encode(e Event) (eventType string, data []byte, err error) {
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return e.EventType(), data, nil
}

// EncodeMetadata returns the JSON of m with the current schema version.
func EncodeMetadata(m Metadata) []byte {
	m.Schema = SchemaVersion
	b, _ := json.Marshal(m) // a struct of strings and ints cannot fail
	return b
}

// DecodeMetadata parses stored metadata; empty metadata is schema 1.
func DecodeMetadata(b []byte) (Metadata, error) {
	m := Metadata{Schema: 1}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decode metadata: %w", err)
	}
	if m.Schema < 1 || m.Schema > SchemaVersion {
		return m, fmt.Errorf("decode metadata: schema: version %d is not supported (this build reads 1 to %d)", m.Schema, SchemaVersion)
	}
	return m, nil
}

// Decode parses stored event data of the given type. Unknown fields are
// refused so that a corrupt or foreign payload is never half-read.
func Decode(eventType string, data []byte) (Event, error) {
	mk, ok := registry[eventType]
	if !ok {
		return nil, fmt.Errorf("decode: type: unknown event type %q", eventType)
	}
	ptr := mk()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decode %s: trailing data after the JSON value", eventType)
	}
	// Return the value, not the pointer, so callers switch on value types.
	return reflect.ValueOf(ptr).Elem().Interface().(Event), nil
}
