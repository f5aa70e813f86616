package pebble

import (
	"bytes"
	"testing"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// FuzzParseRecord feeds arbitrary bytes to the record decoder: it must
// never panic, and whatever it accepts must re-encode to the same bytes
// (so it cannot accept a record and return different data).
func FuzzParseRecord(f *testing.F) {
	for i, e := range []eventstore.EventData{
		{Type: "InvoicePaid", Data: []byte(`{"amount":100}`), Metadata: []byte(`{"schema":1}`)},
		{Type: "T", ContentType: eventstore.ContentTypeBinary, Data: []byte{0, 1, 2}},
		{Type: "Empty", Data: []byte(`{}`)},
	} {
		rec := encodeRecord(nil, "invoice-é", uuid.New(), &e)
		sealRecord(rec, uint64(i+1), uint64(i), 1_700_000_000_000_000_000)
		f.Add(uint64(i+1), rec)
	}
	f.Add(uint64(0), []byte{})
	f.Fuzz(func(t *testing.T, pos uint64, b []byte) {
		v, err := parseRecord(pos, b)
		if err != nil {
			return
		}
		var ar arena
		var e eventstore.RecordedEvent
		v.materialize(&ar, pos, &e)
		in := eventstore.EventData{Type: e.Type, ContentType: e.ContentType, Data: e.Data, Metadata: e.Metadata}
		again := encodeRecord(nil, e.Stream, e.ID, &in)
		sealRecord(again, pos, e.Revision, e.Created.UnixNano())
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted %x but it re-encodes as %x", b, again)
		}
	})
}

// FuzzDecodeValues feeds arbitrary bytes to the head, metadata, run and
// index decoders: no panics, and accepted heads and metadata re-encode to
// the same bytes.
func FuzzDecodeValues(f *testing.F) {
	f.Add("invoice-1", encodeHead("invoice-1", head{next: 3, state: stateDeleted, floor: 3}))
	f.Add("s", encodeMeta("s", streamMeta{writes: 2, hasMaxCount: true, maxCount: 5}))
	f.Add("s", appendRun(nil, run{firstPos: 9, count: 2}))
	f.Fuzz(func(t *testing.T, stream string, b []byte) {
		if h, err := decodeHead(stream, b); err == nil && !bytes.Equal(encodeHead(stream, h), b) {
			t.Fatalf("head %x re-encodes differently", b)
		}
		if m, err := decodeMeta(stream, b); err == nil && !bytes.Equal(encodeMeta(stream, m), b) {
			t.Fatalf("metadata %x re-encodes differently", b)
		}
		key := revisionKey(nil, stream, 4)
		if _, r, err := decodeRun(stream, key, b); err == nil && !bytes.Equal(appendRun(nil, r), b) {
			t.Fatalf("run %x re-encodes differently", b)
		}
		decodeIndex(stream, b)
	})
}
