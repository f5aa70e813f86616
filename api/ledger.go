package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
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
		r.Post("/v1/ledger/"+kind, s.handle(s.postCommand(kind)))
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
// Commands on an aggregate (invoice) are decided by it: the stream is
// read, the aggregate rebuilt, its command method returns the events, and
// they are appended at the exact revision read, retrying when another
// writer got there first.
//
// keyScope namespaces the Idempotency-Key (keys belong to the API key that
// sent them, and import lines to the import), so that two callers' equal
// keys never collapse two different commands into one.
func applyCommand(ctx context.Context, store eventstore.Store, cmd command, keyScope, idemKey string) (Receipt, error) {
	fact := cmd.toEvents()
	stream := fact[0].StreamName()
	_, firstData, err := domain.Encode(fact[0])
	if err != nil {
		return Receipt{}, err
	}
	name := commandIDName(cmd, keyScope, idemKey, firstData)
	d, isDecider := cmd.(decider)
	if !isDecider {
		return appendEvents(ctx, store, cmd, stream, eventstore.Any, fact, name, idemKey)
	}
	for try := 0; ; try++ {
		recorded, err := store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return Receipt{}, fmt.Errorf("read %s: %w", stream, err)
		}
		if rc, ok := replayReceipt(cmd, stream, recorded, name); ok {
			if !sameFact(recorded, rc.Events[0].ID, firstData, cmd.explicitTime()) {
				return Receipt{}, newProblem(http.StatusConflict, "command_conflict", "",
					fmt.Sprintf("%s was already recorded with different values (%s)", cmd.identity(), rc.Events[0].ID))
			}
			return rc, nil
		}
		history := make([]domain.Event, len(recorded))
		for i, r := range recorded {
			if history[i], err = domain.Decode(r.Type, r.Data); err != nil {
				return Receipt{}, fmt.Errorf("read %s revision %d: %w", stream, r.Revision, err)
			}
		}
		events, err := d.decide(history)
		if err != nil {
			return Receipt{}, err
		}
		expected := eventstore.NoStream
		if n := len(recorded); n > 0 {
			expected = eventstore.Exact(recorded[n-1].Revision)
		}
		rc, err := appendEvents(ctx, store, cmd, stream, expected, events, name, idemKey)
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) && try < maxDecideRetries {
			continue
		}
		return rc, err
	}
}

// maxDecideRetries bounds how often a command is decided again after a
// concurrent write to its stream.
const maxDecideRetries = 5

// decider is a command decided by its aggregate from the stream's history.
type decider interface {
	decide(history []domain.Event) ([]domain.Event, error)
}

func appendEvents(ctx context.Context, store eventstore.Store, cmd command, stream string, expected eventstore.ExpectedRevision, events []domain.Event, name, idemKey string) (Receipt, error) {
	rc := Receipt{Object: "ledger_receipt", Command: cmd.kind(), Stream: stream, Events: []ReceiptEvent{}}
	if len(events) == 0 {
		return rc, nil
	}
	meta := domain.EncodeMetadata(domain.Metadata{IdempotencyKey: idemKey})
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, b, err := domain.Encode(e)
		if err != nil {
			return Receipt{}, err
		}
		id := eventID(name, i)
		data[i] = eventstore.EventData{ID: id, Type: typ, ContentType: eventstore.ContentTypeJSON, Data: b, Metadata: meta}
		rc.Events = append(rc.Events, ReceiptEvent{ID: "evt_" + id.String(), Type: typ})
		rc.Backfill = rc.Backfill || isBackfill(b)
	}
	res, err := store.Append(ctx, stream, expected, data...)
	if err != nil {
		return Receipt{}, fmt.Errorf("append %s to %s: %w", cmd.kind(), stream, err)
	}
	rc.Revision = res.NextExpectedRevision
	rc.Position = res.Position.Commit
	return rc, nil
}

// replayReceipt finds a command's events already in the stream (its
// first event ID is there) and rebuilds the receipt of the first time.
func replayReceipt(cmd command, stream string, recorded []eventstore.RecordedEvent, name string) (Receipt, bool) {
	byID := make(map[uuid.UUID]int, len(recorded))
	for i, r := range recorded {
		byID[r.ID] = i
	}
	rc := Receipt{Object: "ledger_receipt", Command: cmd.kind(), Stream: stream}
	for i := 0; ; i++ {
		j, ok := byID[eventID(name, i)]
		if !ok {
			break
		}
		r := recorded[j]
		rc.Events = append(rc.Events, ReceiptEvent{ID: "evt_" + r.ID.String(), Type: r.Type})
		rc.Revision, rc.Position = r.Revision, r.Position.Commit
		rc.Backfill = rc.Backfill || isBackfill(r.Data)
	}
	return rc, len(rc.Events) > 0
}

// sameFact compares a re-sent command's first event with the recorded
// one; a business time the client did not send (defaulted to now) does
// not count.
func sameFact(recorded []eventstore.RecordedEvent, id string, data []byte, explicitTime bool) bool {
	for _, r := range recorded {
		if "evt_"+r.ID.String() != id {
			continue
		}
		var a, b map[string]any
		if json.Unmarshal(r.Data, &a) != nil || json.Unmarshal(data, &b) != nil {
			return false
		}
		if !explicitTime {
			delete(a, "occurred_at")
			delete(b, "occurred_at")
		}
		return reflect.DeepEqual(a, b)
	}
	return false
}

func isBackfill(data []byte) bool {
	var b struct {
		Backfill bool `json:"backfill"`
	}
	return json.Unmarshal(data, &b) == nil && b.Backfill
}

// commandIDName is the name the command's event IDs derive from: in
// order of preference its natural identity, the Idempotency-Key, or the
// first event's content (which includes its business time).
func commandIDName(cmd command, keyScope, idemKey string, firstData []byte) string {
	if name := cmd.identity(); name != "" {
		return name
	}
	if idemKey != "" {
		return cmd.kind() + "/idempotency-key/" + keyScope + "/" + idemKey
	}
	sum := sha256.Sum256(firstData)
	return cmd.kind() + "/content/" + hex.EncodeToString(sum[:])
}

// eventID is the i-th event ID of a command.
func eventID(name string, i int) uuid.UUID {
	return uuid.NewSHA1(eventNamespace, []byte(name+"#"+strconv.Itoa(i)))
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
