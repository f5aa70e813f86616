package kurrenttest

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// Keys of an event's system metadata on the wire, as KurrentDB sends them.
const (
	metaType        = "type"
	metaContentType = "content-type"
	metaCreated     = "created"
)

// maxCount is the largest count passed on to the store; the client sends
// a huge count for "to the end", which the store spells 0.
const maxCount = 1 << 32

func storeCount(n uint64) uint64 {
	if n >= maxCount {
		return 0
	}
	return n
}

// uuidFromWire decodes an event ID in either of the protocol's forms.
func uuidFromWire(u *shared.UUID) (uuid.UUID, error) {
	if s := u.GetStructured(); s != nil {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(s.MostSignificantBits))
		binary.BigEndian.PutUint64(b[8:], uint64(s.LeastSignificantBits))
		return uuid.UUID(b), nil
	}
	if s := u.GetString_(); s != "" {
		return uuid.Parse(s)
	}
	return uuid.Nil, fmt.Errorf("event id is missing")
}

func uuidToWire(id uuid.UUID) *shared.UUID {
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

// expectedFromAppend, expectedFromDelete and expectedFromTombstone decode
// the expected-revision oneofs (three generated types of one shape).
func expectedFromAppend(o *api.AppendReq_Options) eventstore.ExpectedRevision {
	switch v := o.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		return eventstore.Exact(v.Revision)
	case *api.AppendReq_Options_NoStream:
		return eventstore.NoStream
	case *api.AppendReq_Options_StreamExists:
		return eventstore.StreamExists
	}
	return eventstore.Any
}

func expectedFromDelete(o *api.DeleteReq_Options) eventstore.ExpectedRevision {
	switch v := o.GetExpectedStreamRevision().(type) {
	case *api.DeleteReq_Options_Revision:
		return eventstore.Exact(v.Revision)
	case *api.DeleteReq_Options_NoStream:
		return eventstore.NoStream
	case *api.DeleteReq_Options_StreamExists:
		return eventstore.StreamExists
	}
	return eventstore.Any
}

func expectedFromTombstone(o *api.TombstoneReq_Options) eventstore.ExpectedRevision {
	switch v := o.GetExpectedStreamRevision().(type) {
	case *api.TombstoneReq_Options_Revision:
		return eventstore.Exact(v.Revision)
	case *api.TombstoneReq_Options_NoStream:
		return eventstore.NoStream
	case *api.TombstoneReq_Options_StreamExists:
		return eventstore.StreamExists
	}
	return eventstore.Any
}

// expectedAsLong prints an expected revision the way the server's error
// messages do (.NET ExpectedVersion constants).
func expectedAsLong(e eventstore.ExpectedRevision) int64 {
	switch {
	case e.IsAny():
		return -2
	case e.IsNoStream():
		return -1
	case e.IsStreamExists():
		return -4
	}
	n, _ := e.Revision()
	return int64(n)
}

// proposedToEvent decodes one proposed message. The server requires the
// type and content-type metadata; their absence is the client's bug.
func proposedToEvent(i int, m *api.AppendReq_ProposedMessage) (eventstore.EventData, error) {
	id, err := uuidFromWire(m.GetId())
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("proposed message %d: %w", i, err)
	}
	typ, ok := m.GetMetadata()[metaType]
	if !ok {
		return eventstore.EventData{}, fmt.Errorf("proposed message %d: required metadata property %q is missing", i, metaType)
	}
	ct, ok := m.GetMetadata()[metaContentType]
	if !ok {
		return eventstore.EventData{}, fmt.Errorf("proposed message %d: required metadata property %q is missing", i, metaContentType)
	}
	return eventstore.EventData{ID: id, Type: typ, ContentType: ct, Data: m.GetData(), Metadata: m.GetCustomMetadata()}, nil
}

// eventToWire encodes a recorded event as a read response.
func eventToWire(e eventstore.RecordedEvent) *api.ReadResp {
	ct := e.ContentType
	if ct == "" {
		ct = eventstore.ContentTypeJSON
	}
	// "created" is .NET ticks (100 ns) since the Unix epoch; the client
	// exits the process if it is missing or malformed.
	ticks := e.Created.UnixNano() / 100
	rec := &api.ReadResp_ReadEvent_RecordedEvent{
		Id:               uuidToWire(e.ID),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.Stream)},
		StreamRevision:   e.Revision,
		PreparePosition:  e.Position.Prepare,
		CommitPosition:   e.Position.Commit,
		Metadata: map[string]string{
			metaType:        e.Type,
			metaContentType: ct,
			metaCreated:     strconv.FormatInt(ticks, 10),
		},
		CustomMetadata: e.Metadata,
		Data:           e.Data,
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event:    rec,
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.Position.Commit},
	}}}
}

func streamNotFound(stream string) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)},
	}}}
}
