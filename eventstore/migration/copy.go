package migration

import (
	"context"
	"errors"
	"fmt"

	"github.com/recoupledger/recoup/eventstore"
)

// DefaultPageSize is the number of events read from the source at a time.
const DefaultPageSize = 1000

// Options tunes Copy.
type Options struct {
	// PageSize is the number of source events read at a time; 0 means
	// DefaultPageSize. It also bounds one append.
	PageSize int
	// Progress, if set, is called after every append and once per
	// finished phase.
	Progress func(Progress)
}

// Progress reports how far a copy is.
type Progress struct {
	Phase string // "events" or "streams"
	// Position is the source position copied up to, Head the source's last
	// position when the copy started; their Commit parts give a fraction.
	Position, Head eventstore.Position
	Events         uint64 // events appended by this run
	Streams        int    // streams seen (events phase) or finished (streams phase)
}

// Report sums up a copy.
type Report struct {
	Resumed    bool   // the destination already held part of the copy
	Events     uint64 // events appended by this run
	Streams    int    // streams whose events are in the destination
	Metadata   int    // streams whose metadata was copied
	Deleted    int    // streams soft-deleted in the destination
	Tombstoned int    // streams tombstoned in the destination
}

// Copy copies src into dst; see the package documentation.
func Copy(ctx context.Context, src, dst eventstore.Store, opts Options) (Report, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	c := &copier{src: src, dst: dst, opts: opts, streams: map[string]struct{}{}}
	if err := c.events(ctx); err != nil {
		return c.report, err
	}
	if err := c.streamStates(ctx); err != nil {
		return c.report, err
	}
	return c.report, nil
}

type copier struct {
	src, dst eventstore.Store
	opts     Options
	report   Report
	head     eventstore.Position
	// streams are those with events in the source, in first-seen order
	// (order keeps the streams phase deterministic).
	streams map[string]struct{}
	order   []string
}

func (c *copier) progress(p Progress) {
	if c.opts.Progress != nil {
		p.Head = c.head
		c.opts.Progress(p)
	}
}

// events copies the source's $all after the destination's last event.
func (c *copier) events(ctx context.Context) error {
	head, ok, err := last(ctx, c.src)
	if err != nil {
		return fmt.Errorf("read the source's last event: %w", err)
	}
	if !ok {
		c.progress(Progress{Phase: "events"})
		return nil
	}
	c.head = head.Position
	from, resumed, err := c.resumePoint(ctx)
	if err != nil {
		return err
	}
	c.report.Resumed = resumed
	// The streams already copied still need the streams phase.
	if resumed {
		if err := c.scan(ctx, eventstore.Start, from, func(e eventstore.RecordedEvent) { c.see(e.Stream) }); err != nil {
			return err
		}
	}
	first := !resumed
	for {
		page, err := c.src.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Count: uint64(c.opts.PageSize) + 1})
		if err != nil {
			return fmt.Errorf("read the source's $all from %v: %w", from, err)
		}
		if !first && len(page) > 0 && page[0].Position == from {
			page = page[1:] // From is inclusive; that event is already copied
		}
		first = false
		if len(page) == 0 {
			break
		}
		for len(page) > 0 {
			n := run(page, c.opts.PageSize)
			if err := c.appendRun(ctx, page[:n]); err != nil {
				return err
			}
			from = page[n-1].Position
			page = page[n:]
			c.progress(Progress{Phase: "events", Position: from, Events: c.report.Events, Streams: len(c.order)})
		}
	}
	return nil
}

// run returns the length of the leading run of events of one stream (at
// most max).
func run(evs []eventstore.RecordedEvent, max int) int {
	n := 1
	for n < len(evs) && n < max && evs[n].Stream == evs[0].Stream {
		n++
	}
	return n
}

func (c *copier) see(stream string) {
	if _, ok := c.streams[stream]; !ok {
		c.streams[stream] = struct{}{}
		c.order = append(c.order, stream)
	}
}

// appendRun appends consecutive events of one stream at their revisions.
func (c *copier) appendRun(ctx context.Context, evs []eventstore.RecordedEvent) error {
	stream, first := evs[0].Stream, evs[0].Revision
	c.see(stream)
	expected := eventstore.NoStream
	if first > 0 {
		expected = eventstore.Exact(first - 1)
	}
	data := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		if i > 0 && e.Revision != evs[i-1].Revision+1 {
			return fmt.Errorf("copy %s: source revisions jump from %d to %d", stream, evs[i-1].Revision, e.Revision)
		}
		data[i] = eventstore.EventData{ID: e.ID, Type: e.Type, ContentType: e.ContentType, Data: e.Data, Metadata: e.Metadata}
	}
	res, err := c.dst.Append(ctx, stream, expected, data...)
	var wev *eventstore.WrongExpectedVersionError
	switch {
	case errors.As(err, &wev) && first > 0 && !wev.Current.Exists:
		return fmt.Errorf("copy %s: its first event in the source's $all has revision %d (earlier ones were scavenged), which an append cannot reproduce: %w", stream, first, err)
	case err != nil:
		return fmt.Errorf("copy %s revisions %d..%d: %w", stream, first, evs[len(evs)-1].Revision, err)
	case res.NextExpectedRevision != evs[len(evs)-1].Revision:
		return fmt.Errorf("copy %s: the destination put revision %d at %d", stream, evs[len(evs)-1].Revision, res.NextExpectedRevision)
	}
	c.report.Events += uint64(len(evs))
	return nil
}

// resumePoint finds where to continue: Start for an empty destination,
// otherwise the source position of the destination's last event.
func (c *copier) resumePoint(ctx context.Context) (eventstore.Position, bool, error) {
	tail, ok, err := last(ctx, c.dst)
	if err != nil {
		return eventstore.Position{}, false, fmt.Errorf("read the destination's last event: %w", err)
	}
	if !ok {
		return eventstore.Start, false, nil
	}
	pos, found, err := c.locate(ctx, tail)
	if err != nil {
		return eventstore.Position{}, false, err
	}
	if !found {
		return eventstore.Position{}, false, fmt.Errorf("the destination is not empty and its last event (%s revision %d, ID %s) is not in the source: copy into an empty store, or into the one an interrupted copy of this source left", tail.Stream, tail.Revision, tail.ID)
	}
	return pos, true, nil
}

// locate finds e (same stream, revision and ID) in the source and returns
// its position there: by a read of its stream, or, when stream metadata
// hides it from stream reads, by scanning $all.
func (c *copier) locate(ctx context.Context, e eventstore.RecordedEvent) (eventstore.Position, bool, error) {
	evs, err := c.src.ReadStream(ctx, e.Stream, eventstore.ReadStreamOptions{From: e.Revision, Count: 1})
	switch {
	case err == nil && len(evs) == 1 && evs[0].Revision == e.Revision:
		return evs[0].Position, evs[0].ID == e.ID, nil
	case err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) && !errors.Is(err, eventstore.ErrStreamDeleted):
		return eventstore.Position{}, false, fmt.Errorf("look up %s in the source: %w", e.Stream, err)
	}
	var pos eventstore.Position
	found := false
	err = c.scan(ctx, eventstore.Start, eventstore.End, func(s eventstore.RecordedEvent) {
		if !found && s.ID == e.ID && s.Stream == e.Stream && s.Revision == e.Revision {
			pos, found = s.Position, true
		}
	})
	return pos, found, err
}

// scan calls fn for every source event from from (inclusive) up to to
// (exclusive).
func (c *copier) scan(ctx context.Context, from, to eventstore.Position, fn func(eventstore.RecordedEvent)) error {
	first := true
	for {
		page, err := c.src.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Count: uint64(c.opts.PageSize) + 1})
		if err != nil {
			return fmt.Errorf("read the source's $all from %v: %w", from, err)
		}
		if !first && len(page) > 0 && page[0].Position == from {
			page = page[1:]
		}
		first = false
		if len(page) == 0 {
			return nil
		}
		for _, e := range page {
			if !e.Position.Less(to) {
				return nil
			}
			fn(e)
		}
		from = page[len(page)-1].Position
	}
}

// last returns the newest event of s's $all.
func last(ctx context.Context, s eventstore.Store) (eventstore.RecordedEvent, bool, error) {
	evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil || len(evs) == 0 {
		return eventstore.RecordedEvent{}, false, err
	}
	return evs[0], true, nil
}
