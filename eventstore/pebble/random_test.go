package pebble

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// envInt reads a positive integer from the environment, or def.
func envInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

// TestRandomOperations runs random appends, reads, subscriptions, deletes,
// metadata changes and reopenings on the store and on the model, and
// compares every answer. RECOUP_RANDOM_OPS sets the number of steps
// (default 3000), RECOUP_SEED the seed (default 1).
func TestRandomOperations(t *testing.T) {
	steps := envInt(t, "RECOUP_RANDOM_OPS", 3000)
	seed := uint64(envInt(t, "RECOUP_SEED", 1))
	r := &randomRun{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), m: newModel(), dir: t.TempDir()}
	r.open()
	defer func() { r.s.Close() }()
	streams := []string{"invoice-1", "invoice-10", "invoice-1-x", "invoice-2", "customer-1", "customer-2", "c", "preset-é", "settings", "subscription-1"}
	for step := range steps {
		r.step = step
		k := r.rng.IntN(len(streams))
		if r.m.stream(streams[k]).tombstoned && r.rng.IntN(4) == 0 {
			// Tombstones are forever: bring in a fresh stream now and then
			// so long runs keep appending.
			streams[k] = fmt.Sprintf("%s-%d", streams[k], step)
		}
		stream := streams[k]
		switch p := r.rng.IntN(100); {
		case p < 45:
			r.append(stream)
		case p < 60:
			r.readStream(stream)
		case p < 70:
			r.readAll()
		case p < 78:
			r.subscription()
		case p < 84:
			r.remove(stream, r.rng.IntN(12) == 0)
		case p < 92:
			r.setMeta(stream)
		case p < 94:
			r.reopen()
		default:
			r.readAll()
		}
	}
	for _, sub := range r.subs {
		r.drain(sub)
		sub.sub.Close()
	}
	t.Logf("seed %d: %d steps, %d events in $all, %d appends (%d repeats), %d subscriptions checked",
		seed, steps, len(r.m.log), r.appends, r.repeats, r.subChecks)
}

type randomRun struct {
	t         *testing.T
	rng       *rand.Rand
	m         *model
	s         *Store
	dir       string
	step      int
	subs      []*modelSub
	appends   int
	repeats   int
	subChecks int
	past      [][]modelEvent // earlier appends with caller IDs, to repeat
}

type modelSub struct {
	sub    eventstore.Subscription
	cursor int // index in the model log of the next event to deliver
	filter eventstore.Filter
}

func (r *randomRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("step %d: %s", r.step, fmt.Sprintf(format, args...))
}

func (r *randomRun) open() {
	s, err := Open(r.dir, Options{})
	if err != nil {
		r.t.Fatalf("open: %v", err)
	}
	r.s = s
}

// reopen closes and reopens the store: caches start empty and everything
// must come back from disk. Open subscriptions end; new ones replace them.
func (r *randomRun) reopen() {
	for _, sub := range r.subs {
		sub.sub.Close()
	}
	r.subs = nil
	if err := r.s.Close(); err != nil {
		r.fatalf("close: %v", err)
	}
	r.open()
}

func (r *randomRun) expected(stream string) eventstore.ExpectedRevision {
	st := r.m.stream(stream)
	switch r.rng.IntN(10) {
	case 0:
		return eventstore.Any
	case 1:
		return eventstore.NoStream
	case 2:
		return eventstore.StreamExists
	case 3:
		if st.next > 0 {
			return eventstore.Exact(st.next - 1 - uint64(r.rng.IntN(int(min(st.next, 2)))))
		}
		return eventstore.Exact(0)
	default:
		if st.next > 0 {
			return eventstore.Exact(st.next - 1)
		}
		return eventstore.NoStream
	}
}

func (r *randomRun) newEvents() []modelEvent {
	n := 1 + r.rng.IntN(4)
	evs := make([]modelEvent, n)
	withIDs := r.rng.IntN(2) == 0
	for i := range evs {
		evs[i] = modelEvent{typ: fmt.Sprintf("Type%d", r.rng.IntN(3)), data: fmt.Sprintf(`{"step":%d,"i":%d}`, r.step, i)}
		if withIDs {
			evs[i].id = uuid.New()
		}
	}
	if r.rng.IntN(40) == 0 {
		evs[r.rng.IntN(n)].typ = "" // refused as a whole
	}
	return evs
}

func (r *randomRun) append(stream string) {
	var evs []modelEvent
	switch {
	case len(r.past) > 0 && r.rng.IntN(6) == 0:
		evs = r.past[r.rng.IntN(len(r.past))] // a repeat, possibly to another stream
		if r.rng.IntN(4) == 0 && len(evs) > 1 {
			evs = evs[:len(evs)-1] // a prefix: still a repeat
		} else if r.rng.IntN(4) == 0 {
			evs = append(append([]modelEvent(nil), evs...), modelEvent{id: uuid.New(), typ: "Extra", data: `{}`}) // partial overlap
		}
	default:
		evs = r.newEvents()
	}
	exp := r.expected(stream)
	data := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		data[i] = eventstore.EventData{ID: e.id, Type: e.typ, Data: []byte(e.data)}
	}
	before := len(r.m.log)
	want := r.m.append(stream, exp, evs)
	res, err := r.s.Append(context.Background(), stream, exp, data...)
	if want.err != nil || err != nil {
		if !errors.Is(err, want.err) || want.err == nil {
			r.fatalf("append %d events to %s expecting %s: got %v, model says %v", len(evs), stream, exp, err, want.err)
		}
		return
	}
	r.appends++
	if res.NextExpectedRevision != want.rev {
		r.fatalf("append to %s: next expected revision %d, model says %d", stream, res.NextExpectedRevision, want.rev)
	}
	if want.repeatIdx >= 0 {
		r.repeats++
		if p := r.m.log[want.repeatIdx].pos; p != (eventstore.Position{}) && p != res.Position {
			r.fatalf("repeated append to %s returned position %v, original %v", stream, res.Position, p)
		}
		return
	}
	r.m.log[len(r.m.log)-1].pos = res.Position
	if before > 0 {
		if prev := r.m.log[before-1].pos; prev != (eventstore.Position{}) && !prev.Less(res.Position) {
			r.fatalf("position %v does not follow %v", res.Position, prev)
		}
	}
	if evs[0].id != uuid.Nil {
		r.past = append(r.past, evs)
	}
}

func (r *randomRun) readStream(stream string) {
	opts := eventstore.ReadStreamOptions{From: uint64(r.rng.IntN(12)), Count: uint64(r.rng.IntN(5))}
	if r.rng.IntN(2) == 0 {
		opts.Direction = eventstore.Backwards
	}
	opts.FromEnd = r.rng.IntN(4) == 0
	want, wantErr := r.m.readStream(stream, opts)
	got, err := r.s.ReadStream(context.Background(), stream, opts)
	if wantErr != nil || err != nil {
		if !errors.Is(err, wantErr) || wantErr == nil {
			r.fatalf("read %s %+v: got %v, model says %v", stream, opts, err, wantErr)
		}
		return
	}
	r.compare(fmt.Sprintf("read %s %+v", stream, opts), got, want)
}

func (r *randomRun) readAll() {
	count := uint64(r.rng.IntN(8))
	backwards := r.rng.IntN(2) == 0
	from, opts := 0, eventstore.ReadAllOptions{Count: count}
	if backwards {
		opts.Direction, opts.From, from = eventstore.Backwards, eventstore.End, len(r.m.log)
	}
	if k, ok := r.knownIndex(); ok && r.rng.IntN(2) == 0 {
		from, opts.From = k, r.m.log[k].pos
	}
	want := r.m.readAll(from, backwards, count)
	got, err := r.s.ReadAll(context.Background(), opts)
	if err != nil {
		r.fatalf("read $all %+v: %v", opts, err)
	}
	r.compare(fmt.Sprintf("read $all %+v", opts), got, want)
}

// knownIndex picks a model event whose store position is known.
func (r *randomRun) knownIndex() (int, bool) {
	for range 4 {
		if len(r.m.log) == 0 {
			return 0, false
		}
		k := r.rng.IntN(len(r.m.log))
		if r.m.log[k].pos != (eventstore.Position{}) {
			return k, true
		}
	}
	return 0, false
}

// compare checks got against the model events at want, learning positions.
func (r *randomRun) compare(what string, got []eventstore.RecordedEvent, want []int) {
	r.t.Helper()
	if len(got) != len(want) {
		r.fatalf("%s: %d events, model says %d", what, len(got), len(want))
	}
	for i, k := range want {
		e, w := &got[i], &r.m.log[k]
		if e.ID != w.id && w.id != uuid.Nil || e.Stream != w.stream || e.Revision != w.rev || e.Type != w.typ || string(e.Data) != w.data {
			r.fatalf("%s: event %d is %s@%d %s %s, model says %s@%d %s %s", what, i, e.Stream, e.Revision, e.Type, e.Data, w.stream, w.rev, w.typ, w.data)
		}
		if w.pos == (eventstore.Position{}) {
			w.pos = e.Position
		} else if w.pos != e.Position {
			r.fatalf("%s: %s@%d at position %v, earlier %v", what, w.stream, w.rev, e.Position, w.pos)
		}
		if w.id == uuid.Nil {
			w.id = e.ID
		}
	}
}

// subscription opens a new subscription or checks an open one.
func (r *randomRun) subscription() {
	if len(r.subs) > 0 && r.rng.IntN(3) > 0 {
		r.drain(r.subs[r.rng.IntN(len(r.subs))])
		return
	}
	ms := &modelSub{}
	opts := eventstore.SubscribeOptions{CheckpointInterval: 1 + r.rng.IntN(5)}
	switch r.rng.IntN(3) {
	case 0:
		opts.FromStart = true
	case 1:
		opts.From, ms.cursor = eventstore.End, len(r.m.log)
	default:
		if k, ok := r.knownIndex(); ok {
			opts.From, ms.cursor = r.m.log[k].pos, k+1
		} else {
			opts.FromStart = true
		}
	}
	switch r.rng.IntN(3) {
	case 1:
		opts.Filter = eventstore.Filter{Kind: eventstore.FilterEventType, Prefixes: []string{"Type1", "Extra"}}
	case 2:
		opts.Filter = eventstore.Filter{Kind: eventstore.FilterStreamName, Prefixes: []string{"invoice-1"}}
	}
	ms.filter = opts.Filter
	sub, err := r.s.SubscribeToAll(context.Background(), opts)
	if err != nil {
		r.fatalf("subscribe %+v: %v", opts, err)
	}
	ms.sub = sub
	r.subs = append(r.subs, ms)
}

// drain receives what the model says the subscription has to deliver,
// then checks nothing more arrives.
func (r *randomRun) drain(ms *modelSub) {
	r.subChecks++
	var want []int
	for k := ms.cursor; k < len(r.m.log); k++ {
		if ms.filter.Match(r.m.log[k].stream, r.m.log[k].typ) {
			want = append(want, k)
		}
	}
	ms.cursor = len(r.m.log)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []eventstore.RecordedEvent
	var lastCP eventstore.Position
	for len(got) < len(want) {
		m, err := ms.sub.Recv(ctx)
		if err != nil {
			r.fatalf("subscription recv after %d of %d events: %v", len(got), len(want), err)
		}
		if m.Event != nil {
			if m.Event.Position.Less(lastCP) {
				r.fatalf("event at %v after checkpoint %v", m.Event.Position, lastCP)
			}
			got = append(got, *m.Event)
		} else {
			lastCP = *m.Checkpoint
		}
	}
	r.compare("subscription", got, want)
	quiet, cancel2 := context.WithTimeout(context.Background(), 2*time.Millisecond)
	defer cancel2()
	for {
		m, err := ms.sub.Recv(quiet)
		if err != nil {
			return
		}
		if m.Event != nil {
			r.fatalf("subscription delivered %s@%d beyond the model's events", m.Event.Stream, m.Event.Revision)
		}
	}
}

func (r *randomRun) remove(stream string, tombstone bool) {
	exp := r.expected(stream)
	want := r.m.remove(stream, exp, tombstone)
	var err error
	if tombstone {
		err = r.s.Tombstone(context.Background(), stream, exp)
	} else {
		err = r.s.Delete(context.Background(), stream, exp)
	}
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		r.fatalf("delete %s (tombstone %v) expecting %s: got %v, model says %v", stream, tombstone, exp, err, want)
	}
}

func (r *randomRun) setMeta(stream string) {
	var maxCount, truncate *uint64
	if r.rng.IntN(2) == 0 {
		v := uint64(r.rng.IntN(4))
		maxCount = &v
	}
	if r.rng.IntN(3) == 0 {
		v := uint64(r.rng.IntN(6))
		truncate = &v
	}
	exp := eventstore.Any
	if r.rng.IntN(3) == 0 {
		exp = eventstore.Exact(r.m.stream(stream).metaWrites - 1)
		if r.m.stream(stream).metaWrites == 0 {
			exp = eventstore.NoStream
		}
	}
	want := r.m.setMeta(stream, exp, maxCount, truncate)
	err := r.s.SetStreamMetadata(context.Background(), stream, exp, eventstore.StreamMetadata{MaxCount: maxCount, TruncateBefore: truncate})
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		r.fatalf("set metadata of %s: got %v, model says %v", stream, err, want)
	}
}
