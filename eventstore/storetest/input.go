package storetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// expectField checks err is ErrInvalidArgument naming field.
func expectField(t *testing.T, err error, field string) {
	t.Helper()
	expectErr(t, "bad input naming "+field, err, eventstore.ErrInvalidArgument)
	var e *eventstore.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Fatalf("error %v names field %q, want %q", err, fieldOf(e), field)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("message %q does not name %s", err, field)
	}
}

func fieldOf(e *eventstore.Error) string {
	if e == nil {
		return ""
	}
	return e.Field
}

func testBadInput(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Bad")
	good := event(typ, 0)
	dupID := uuid.New()
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
		field  string
	}{
		{"empty stream", "", []eventstore.EventData{good}, "stream"},
		{"newline in stream", n.stream("a\nb"), []eventstore.EventData{good}, "stream"},
		{"NUL in stream", n.stream("a\x00b"), []eventstore.EventData{good}, "stream"},
		{"DEL in stream", n.stream("a\x7fb"), []eventstore.EventData{good}, "stream"},
		{"no events", n.stream("none"), nil, "events"},
		{"empty type", n.stream("t"), []eventstore.EventData{{Data: []byte(`{}`)}}, "events[0].Type"},
		{"invalid JSON, default content type", n.stream("j1"), []eventstore.EventData{{Type: typ, Data: []byte(`{"a":`)}}, "events[0].Data"},
		{"invalid JSON, JSON content type", n.stream("j2"), []eventstore.EventData{{Type: typ, ContentType: eventstore.ContentTypeJSON, Data: []byte(`not json`)}}, "events[0].Data"},
		{"unknown content type", n.stream("ct"), []eventstore.EventData{{Type: typ, ContentType: "text/plain", Data: []byte(`x`)}}, "events[0].ContentType"},
		{"over the size limit", n.stream("big"), []eventstore.EventData{{Type: typ, ContentType: eventstore.ContentTypeBinary, Data: make([]byte, eventstore.MaxEventSize+1)}}, "events[0].Data"},
		{"data plus metadata over the limit", n.stream("big2"), []eventstore.EventData{{Type: typ, ContentType: eventstore.ContentTypeBinary, Data: make([]byte, eventstore.MaxEventSize/2+1), Metadata: make([]byte, eventstore.MaxEventSize/2)}}, "events[0].Data"},
		{"bad second event", n.stream("second"), []eventstore.EventData{good, {Type: typ, Data: []byte(`{`)}}, "events[1].Data"},
		{"repeated ID within an append", n.stream("dup"), []eventstore.EventData{{ID: dupID, Type: typ, Data: []byte(`1`)}, {ID: dupID, Type: typ, Data: []byte(`2`)}}, "events[1].ID"},
	}
	before := lastPosition(t, s)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Append(ctxT(t), c.stream, eventstore.Any, c.events...)
			expectField(t, err, c.field)
			if c.stream == "" || strings.ContainsAny(c.stream, "\n\x00\x7f") {
				return
			}
			_, err = s.ReadStream(ctxT(t), c.stream, eventstore.ReadStreamOptions{})
			expectErr(t, "read after refused append", err, eventstore.ErrStreamNotFound)
		})
	}
	if got := allOf(t, s, n, before); len(got) != 0 {
		t.Fatalf("refused appends wrote %s", describe(got))
	}
	t.Run("at the size limit", func(t *testing.T) {
		stream := n.stream("limit")
		data := bytes.Repeat([]byte{7}, eventstore.MaxEventSize-10)
		mustAppend(t, s, stream, eventstore.NoStream, eventstore.EventData{Type: typ, ContentType: eventstore.ContentTypeBinary, Data: data, Metadata: make([]byte, 10)})
		if got := readAllForward(t, s, stream); len(got) != 1 || !bytes.Equal(got[0].Data, data) {
			t.Fatal("event at the size limit not stored whole")
		}
	})
	t.Run("bad stream names on reads", func(t *testing.T) {
		_, err := s.ReadStream(ctxT(t), "", eventstore.ReadStreamOptions{})
		expectField(t, err, "stream")
		expectField(t, s.Delete(ctxT(t), "a\tb", eventstore.Any), "stream")
		expectField(t, s.Tombstone(ctxT(t), "", eventstore.Any), "stream")
	})
}
