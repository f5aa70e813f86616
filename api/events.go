package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/eventstore"
)

// Event is a stored ledger event as the API shows it.
type Event struct {
	Object     string          `json:"object"`
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Stream     string          `json:"stream"`
	Revision   uint64          `json:"revision"`
	Position   uint64          `json:"position"`
	Created    time.Time       `json:"created"`
	OccurredAt *time.Time      `json:"occurred_at,omitempty"`
	Backfill   bool            `json:"backfill"`
	Data       json.RawMessage `json:"data"`
}

func eventView(e eventstore.RecordedEvent) Event {
	v := Event{Object: "event", ID: "evt_" + e.ID.String(), Type: e.Type, Stream: e.Stream,
		Revision: e.Revision, Position: e.Position.Commit, Created: e.Created.UTC(), Data: e.Data}
	var b struct {
		OccurredAt *time.Time `json:"occurred_at"`
		Backfill   bool       `json:"backfill"`
	}
	if json.Unmarshal(e.Data, &b) == nil {
		v.OccurredAt, v.Backfill = b.OccurredAt, b.Backfill
	}
	if !json.Valid(e.Data) {
		v.Data = json.RawMessage("null")
	}
	return v
}

func (s *Server) mountEvents(r chi.Router) {
	r.Get("/v1/invoices/{id}/events", s.handle(s.streamEvents("invoice-")))
	r.Get("/v1/subscriptions/{id}/events", s.handle(s.streamEvents("subscription-")))
}

// streamEvents lists one stream's events oldest first (a history reads
// forward), paginated by event ID.
func (s *Server) streamEvents(prefix string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r)
		q.only("limit", "starting_after", "ending_before")
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		id := chi.URLParam(r, "id")
		recs, err := s.store.ReadStream(r.Context(), prefix+id, eventstore.ReadStreamOptions{})
		if err != nil {
			if p := storeProblem(err); p != nil && p.Status == http.StatusNotFound {
				return notFound("id", "no "+strings.TrimSuffix(prefix, "-")+" "+id)
			}
			return err
		}
		views := make([]Event, len(recs))
		for i, e := range recs {
			views[i] = eventView(e)
		}
		data, more, err := paginate(views, page, func(e Event) string { return e.ID })
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, newList(r.URL.Path, data, more))
	}
}

// paginate cuts an ordered slice by cursor for sources that are small
// enough to hold whole (one stream's events).
func paginate[T any](all []T, p Page, id func(T) string) ([]T, bool, error) {
	find := func(cursor, param string) (int, error) {
		for i, v := range all {
			if id(v) == cursor {
				return i, nil
			}
		}
		return 0, badRequest(CodeInvalidValue, param, "no object with id "+cursor+" in this list")
	}
	switch {
	case p.StartingAfter != "":
		i, err := find(p.StartingAfter, "starting_after")
		if err != nil {
			return nil, false, err
		}
		rest := all[i+1:]
		if len(rest) > p.Limit {
			return rest[:p.Limit], true, nil
		}
		return rest, false, nil
	case p.EndingBefore != "":
		i, err := find(p.EndingBefore, "ending_before")
		if err != nil {
			return nil, false, err
		}
		head := all[:i]
		if len(head) > p.Limit {
			return head[len(head)-p.Limit:], true, nil
		}
		return head, false, nil
	}
	if len(all) > p.Limit {
		return all[:p.Limit], true, nil
	}
	return all, false, nil
}
