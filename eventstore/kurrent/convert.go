package kurrent

import (
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// toExpected converts an expected revision to the client's type.
func toExpected(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	switch {
	case e.IsAny():
		return esdb.Any{}
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	n, _ := e.Revision()
	return esdb.Revision(n)
}

// toEventData converts an event to append. The ID is always set here, so
// that the client never invents one: a retried append must carry the same
// IDs to be recognised as a repeat.
func toEventData(e eventstore.EventData) esdb.EventData {
	id := e.ID
	if id == uuid.Nil {
		id = uuid.New()
	}
	ct := esdb.ContentTypeJson
	if e.ContentType == eventstore.ContentTypeBinary {
		ct = esdb.ContentTypeBinary
	}
	return esdb.EventData{
		EventID:     id,
		EventType:   e.Type,
		ContentType: ct,
		Data:        e.Data,
		Metadata:    e.Metadata,
	}
}

// fromRecorded converts an event read from the server.
func fromRecorded(r *esdb.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		ID:          r.EventID,
		Stream:      r.StreamID,
		Revision:    r.EventNumber,
		Position:    eventstore.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare},
		Type:        r.EventType,
		ContentType: r.ContentType,
		Data:        emptyAsNil(r.Data),
		Metadata:    emptyAsNil(r.UserMetadata),
		Created:     r.CreatedDate,
	}
}

// emptyAsNil makes "no bytes" read back the same way from every backend:
// protobuf cannot tell an empty byte string from an absent one.
func emptyAsNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func toPosition(p eventstore.Position) esdb.Position {
	return esdb.Position{Commit: p.Commit, Prepare: p.Prepare}
}

func fromPosition(p esdb.Position) eventstore.Position {
	return eventstore.Position{Commit: p.Commit, Prepare: p.Prepare}
}

// isSystem reports whether an event belongs to KurrentDB itself rather
// than to Recoup: system streams ("$stats-…", "$$stream" metadata streams,
// "$settings", …) and system event types ("$metadata", "$streamDeleted",
// …). Recoup never writes either, so they are hidden from reads of $all
// and from subscriptions, as the embedded store has none.
func isSystem(stream, eventType string) bool {
	return strings.HasPrefix(stream, "$") || strings.HasPrefix(eventType, "$")
}
