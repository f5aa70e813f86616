package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// history is a stream's events as read for a decision: decoded, with the
// revision to append after.
type history struct {
	events   []domain.Event
	expected eventstore.ExpectedRevision
	found    bool
}

// readHistory reads a whole stream for an aggregate; a missing stream is
// an empty history, to be appended with NoStream.
func readHistory(ctx context.Context, store eventstore.Store, stream string) (history, error) {
	recs, err := store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return history{expected: eventstore.NoStream}, nil
	}
	if err != nil {
		return history{}, fmt.Errorf("read %s: %w", stream, err)
	}
	h := history{events: make([]domain.Event, len(recs)), expected: eventstore.Exact(recs[len(recs)-1].Revision), found: true}
	for i, r := range recs {
		if h.events[i], err = domain.Decode(r.Type, r.Data); err != nil {
			return history{}, fmt.Errorf("read %s revision %d: %w", stream, r.Revision, err)
		}
	}
	return h, nil
}

// execute runs one command against one aggregate stream: read, decide,
// append at the revision read. A concurrent writer makes it decide again
// on the new history. An Idempotency-Key makes the event IDs deterministic,
// so a retried request the response cache no longer remembers still
// appends nothing twice.
func (s *Server) execute(ctx context.Context, stream string, decide func(history) ([]domain.Event, error)) error {
	key := idempotencyKey(ctx)
	scope := principalFrom(ctx).KeyID
	for try := 0; ; try++ {
		h, err := readHistory(ctx, s.store, stream)
		if err != nil {
			return err
		}
		events, err := decide(h)
		if err != nil || len(events) == 0 {
			return err
		}
		meta := domain.EncodeMetadata(domain.Metadata{IdempotencyKey: key})
		data := make([]eventstore.EventData, len(events))
		for i, e := range events {
			typ, b, err := domain.Encode(e)
			if err != nil {
				return err
			}
			data[i] = eventstore.EventData{Type: typ, ContentType: eventstore.ContentTypeJSON, Data: b, Metadata: meta}
			if key != "" {
				data[i].ID = eventID(stream+"/idempotency-key/"+scope+"/"+key, i)
			} else {
				data[i].ID = uuid.New()
			}
		}
		_, err = s.store.Append(ctx, stream, h.expected, data...)
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) && try < maxDecideRetries {
			continue
		}
		if err != nil {
			return fmt.Errorf("append to %s: %w", stream, err)
		}
		return nil
	}
}

// newID returns a prefixed ID: derived from the Idempotency-Key when there
// is one (so a replayed create names the same object), random otherwise.
func newID(ctx context.Context, prefix string) string {
	if key := idempotencyKey(ctx); key != "" {
		u := uuid.NewSHA1(eventNamespace, []byte(prefix+"/"+principalFrom(ctx).KeyID+"/"+key))
		return prefix + hexID(u)
	}
	return prefix + hexID(uuid.New())
}

// hexID is 24 hex digits of u: short, URL-safe and unique enough.
func hexID(u uuid.UUID) string {
	return hex.EncodeToString(u[:12])
}
