package kurrenttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// Metadata streams are "$$" + the stream's name; their events, of type
// "$metadata", carry a JSON object with these system properties (max-age
// in seconds).
const (
	metaStreamPrefix  = "$$"
	metadataEventType = "$metadata"
	propMaxCount      = "$maxCount"
	propMaxAge        = "$maxAge"
	propTruncate      = "$tb"
)

// decodeMetadata parses the JSON of a "$metadata" event. Properties the
// store has no field for (ACLs, cache control, custom ones) are ignored.
func decodeMetadata(data []byte) (eventstore.StreamMetadata, error) {
	var props map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&props); err != nil {
		return eventstore.StreamMetadata{}, fmt.Errorf("metadata is not a JSON object: %w", err)
	}
	var m eventstore.StreamMetadata
	for key, dst := range map[string]**uint64{propMaxCount: &m.MaxCount, propTruncate: &m.TruncateBefore} {
		raw, ok := props[key]
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			return eventstore.StreamMetadata{}, fmt.Errorf("metadata %s: %s is not a non-negative integer", key, raw)
		}
		*dst = &n
	}
	if raw, ok := props[propMaxAge]; ok {
		secs, err := strconv.ParseUint(string(raw), 10, 63)
		if err != nil || secs > uint64(time.Duration(1<<63-1)/time.Second) {
			return eventstore.StreamMetadata{}, fmt.Errorf("metadata %s: %s is not a number of seconds", propMaxAge, raw)
		}
		d := time.Duration(secs) * time.Second
		m.MaxAge = &d
	}
	return m, nil
}

// encodeMetadata is the inverse of decodeMetadata.
func encodeMetadata(m eventstore.StreamMetadata) []byte {
	props := map[string]uint64{}
	if m.MaxCount != nil {
		props[propMaxCount] = *m.MaxCount
	}
	if m.MaxAge != nil {
		props[propMaxAge] = uint64(*m.MaxAge / time.Second)
	}
	if m.TruncateBefore != nil {
		props[propTruncate] = *m.TruncateBefore
	}
	b, _ := json.Marshal(props) // a map of numbers always encodes
	return b
}

func isZero(m eventstore.StreamMetadata) bool {
	return m.MaxCount == nil && m.MaxAge == nil && m.TruncateBefore == nil
}
