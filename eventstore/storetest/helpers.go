package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// names gives one test its own stream and event type namespace.
type names struct{ prefix string }

func newNames() names {
	return names{prefix: "st" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")}
}

// stream returns a stream name unique to the test.
func (n names) stream(s string) string { return n.prefix + "-" + s }

// typ returns an event type unique to the test.
func (n names) typ(s string) string { return n.prefix + s }

// event is a JSON event of type typ with a body naming i.
func event(typ string, i int) eventstore.EventData {
	data, _ := json.Marshal(map[string]any{"n": i, "note": "contract suite"})
	return eventstore.EventData{Type: typ, Data: data}
}

func events(typ string, from, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = event(typ, from+i)
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxT(t), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append %d events to %s (expected %s): %v", len(evs), stream, exp, err)
	}
	return res
}

func mustRead(t *testing.T, s eventstore.Store, stream string, opts eventstore.ReadStreamOptions) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(ctxT(t), stream, opts)
	if err != nil {
		t.Fatalf("read %s %+v: %v", stream, opts, err)
	}
	return evs
}

func readAllForward(t *testing.T, s eventstore.Store, stream string) []eventstore.RecordedEvent {
	t.Helper()
	return mustRead(t, s, stream, eventstore.ReadStreamOptions{})
}

// lastPosition is the position of the newest event in $all (Start if none).
func lastPosition(t *testing.T, s eventstore.Store) eventstore.Position {
	t.Helper()
	evs, err := s.ReadAll(ctxT(t), eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil {
		t.Fatalf("read $all backwards: %v", err)
	}
	if len(evs) == 0 {
		return eventstore.Start
	}
	return evs[0].Position
}

// allOf reads $all forwards from from (inclusive) and keeps the events of
// the test's streams.
func allOf(t *testing.T, s eventstore.Store, n names, from eventstore.Position) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadAll(ctxT(t), eventstore.ReadAllOptions{From: from})
	if err != nil {
		t.Fatalf("read $all: %v", err)
	}
	return ofTest(n, evs)
}

func ofTest(n names, evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
	var out []eventstore.RecordedEvent
	for _, e := range evs {
		if strings.HasPrefix(e.Stream, n.prefix) {
			out = append(out, e)
		}
	}
	return out
}

// expectErr fails unless err matches want (errors.Is).
func expectErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// expectWEV checks a wrong-expected-version error names expected and current.
func expectWEV(t *testing.T, what string, err error, exp eventstore.ExpectedRevision, cur eventstore.CurrentRevision) {
	t.Helper()
	expectErr(t, what, err, eventstore.ErrWrongExpectedVersion)
	var w *eventstore.WrongExpectedVersionError
	if !errors.As(err, &w) {
		t.Fatalf("%s: %v is not a *WrongExpectedVersionError", what, err)
	}
	if w.Expected != exp || w.Current != cur {
		t.Fatalf("%s: error names expected %s current %s, want expected %s current %s", what, w.Expected, w.Current, exp, cur)
	}
	if !strings.Contains(err.Error(), exp.String()) || !strings.Contains(err.Error(), cur.String()) {
		t.Fatalf("%s: message %q does not name expected %q and current %q", what, err, exp, cur)
	}
}

func revisions(evs []eventstore.RecordedEvent) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Revision
	}
	return out
}

func equalRevs(got []eventstore.RecordedEvent, want ...uint64) bool {
	r := revisions(got)
	if len(r) != len(want) {
		return false
	}
	for i := range r {
		if r[i] != want[i] {
			return false
		}
	}
	return true
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	if from <= to {
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
	} else {
		for i := from; ; i-- {
			out = append(out, i)
			if i == to {
				break
			}
		}
	}
	return out
}

func describe(evs []eventstore.RecordedEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s@%d(%d) ", e.Stream, e.Revision, e.Position.Commit)
	}
	return b.String()
}

func cur(rev uint64) eventstore.CurrentRevision {
	return eventstore.CurrentRevision{Revision: rev, Exists: true}
}

var noStream = eventstore.CurrentRevision{}
