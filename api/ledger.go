package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// eventNamespace is the UUIDv5 namespace of command event IDs. Changing it
// would make re-sent commands append duplicates: never change it.
var eventNamespace = uuid.MustParse("6f1c1f0e-7f4b-5c59-9a57-2d3c0b7d4e10")

// Receipt tells the client where its command landed.
type Receipt struct {
	Object   string         `json:"object"`
	Command  string         `json:"command"`
	Stream   string         `json:"stream"`
	Events   []ReceiptEvent `json:"events"`
	Revision uint64         `json:"revision"`
	Position uint64         `json:"position"`
	Backfill bool           `json:"backfill"`
}

// ReceiptEvent names one appended (or already present) event.
type ReceiptEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func (s *Server) mountLedger(r chi.Router) {
	for _, kind := range commandNames() {
		r.Post("/ledger/"+kind, s.handle(s.postCommand(kind)))
	}
}

func (s *Server) postCommand(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cmd := commandKinds[kind]()
		cmd.setNow(s.now())
		if err := decodeJSON(r, cmd); err != nil {
			return err
		}
		rc, err := applyCommand(r.Context(), s.store, cmd, principalFrom(r.Context()).KeyID, idempotencyKey(r.Context()))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, rc)
	}
}

// applyCommand appends a valid command's events with deterministic IDs,
// so that sending it again appends nothing and returns the same receipt.
//
// keyScope namespaces the Idempotency-Key (keys belong to the API key that
// sent them, and import lines to the import), so that two callers' equal
// keys never collapse two different commands into one.
func applyCommand(ctx context.Context, store eventstore.Store, cmd command, keyScope, idemKey string) (Receipt, error) {
	events := cmd.toEvents()
	stream := events[0].StreamName()
	data := make([]eventstore.EventData, len(events))
	rc := Receipt{Object: "ledger_receipt", Command: cmd.kind(), Stream: stream}
	meta := domain.EncodeMetadata(domain.Metadata{IdempotencyKey: idemKey})
	var ids []uuid.UUID
	for i, e := range events {
		typ, b, err := domain.Encode(e)
		if err != nil {
			return Receipt{}, err
		}
		if ids == nil {
			ids = commandEventIDs(cmd, keyScope, idemKey, b, len(events))
		}
		data[i] = eventstore.EventData{ID: ids[i], Type: typ, ContentType: eventstore.ContentTypeJSON, Data: b, Metadata: meta}
		rc.Events = append(rc.Events, ReceiptEvent{ID: "evt_" + ids[i].String(), Type: typ})
		rc.Backfill = rc.Backfill || baseOf(e).Backfill
	}
	res, err := store.Append(ctx, stream, eventstore.Any, data...)
	if err != nil {
		return Receipt{}, fmt.Errorf("append %s to %s: %w", cmd.kind(), stream, err)
	}
	rc.Revision = res.NextExpectedRevision
	rc.Position = res.Position.Commit
	return rc, nil
}

// commandEventIDs derives event IDs from, in order of preference, the
// command's natural identity, the Idempotency-Key, or the first event's
// content (which includes its business time).
func commandEventIDs(cmd command, keyScope, idemKey string, firstData []byte, n int) []uuid.UUID {
	name := cmd.identity()
	switch {
	case name != "":
	case idemKey != "":
		name = cmd.kind() + "/idempotency-key/" + keyScope + "/" + idemKey
	default:
		sum := sha256.Sum256(firstData)
		name = cmd.kind() + "/content/" + hex.EncodeToString(sum[:])
	}
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.NewSHA1(eventNamespace, []byte(name+"#"+strconv.Itoa(i)))
	}
	return ids
}

func baseOf(e domain.Event) domain.Base {
	switch v := e.(type) {
	case domain.CustomerRegistered:
		return v.Base
	case domain.InvoiceFinalized:
		return v.Base
	case domain.PaymentAttempted:
		return v.Base
	case domain.PaymentMethodAttached:
		return v.Base
	case domain.PaymentMethodUpdated:
		return v.Base
	case domain.CardActivityObserved:
		return v.Base
	}
	return domain.Base{OccurredAt: e.When()}
}

// storeProblem maps the store's typed errors to problems.
func storeProblem(err error) *Problem {
	var se *eventstore.Error
	switch {
	case errors.Is(err, eventstore.ErrWrongExpectedVersion):
		return newProblem(http.StatusConflict, CodeConflict, "", "the resource changed while this request ran; retry it")
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return notFound("", "no such resource")
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return newProblem(http.StatusGone, CodeNotFound, "", "the resource was deleted")
	case errors.As(err, &se) && errors.Is(err, eventstore.ErrInvalidArgument):
		return badRequest(CodeInvalidValue, se.Field, se.Detail)
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed):
		p := newProblem(http.StatusServiceUnavailable, CodeUnavailable, "", "the event store is unavailable; retry shortly")
		p.retryAfter = 1
		return p
	}
	return nil
}
