package kurrent

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/recoupledger/recoup/eventstore"
)

// unlimited is the count sent for "read to the end": the protocol has no
// such value and the server treats the count as a long.
const unlimited = math.MaxInt64

// ReadStream implements eventstore.Store. A missing stream is not an error
// of the call that starts the read: it arrives as the first message of the
// response, so it surfaces from the first Recv.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if err := validateStream("read", stream); err != nil {
		return nil, err
	}
	ro := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(opts.From)}
	if opts.Direction == eventstore.Backwards {
		ro.Direction = esdb.Backwards
	}
	if opts.FromEnd {
		ro.From = esdb.End{}
	}
	count := opts.Count
	if count == 0 {
		count = unlimited
	}
	var out []eventstore.RecordedEvent
	err := s.do(ctx, failure{op: "read", stream: stream}, func(c *esdb.Client) error {
		out = out[:0]
		rs, err := c.ReadStream(ctx, stream, ro, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		return drain(rs, func(e eventstore.RecordedEvent) bool {
			out = append(out, e)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadAll implements eventstore.Store. KurrentDB's $all also holds the
// server's own events, which are skipped; when that leaves a page short of
// the requested count, the next page is read from where the last ended.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	from := opts.From
	first := true
	for opts.Count == 0 || uint64(len(out)) < opts.Count {
		want := uint64(unlimited)
		if opts.Count > 0 {
			want = opts.Count - uint64(len(out))
		}
		page, raw, last, err := s.readAllPage(ctx, opts.Direction, from, first, want)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if raw < want {
			break // the end of the log
		}
		from, first = last, false
	}
	return out, nil
}

// head returns the position of the newest event in $all, system events
// included (Start when the log is empty).
func (s *Store) head(ctx context.Context) (eventstore.Position, error) {
	_, raw, last, err := s.readAllPage(ctx, eventstore.Backwards, eventstore.End, true, 1)
	if err != nil || raw == 0 {
		return eventstore.Start, err
	}
	return last, nil
}

// readAllPage reads up to want raw events of $all and returns the
// non-system ones, the number of raw events read and the last position
// seen. Forwards, from is inclusive on the first page and exclusive on
// later ones; backwards it is always exclusive. Events on the wrong side
// of from are dropped, so a server that treats a bound differently cannot
// cause a duplicate.
func (s *Store) readAllPage(ctx context.Context, dir eventstore.Direction, from eventstore.Position, first bool, want uint64) (page []eventstore.RecordedEvent, raw uint64, last eventstore.Position, err error) {
	ro := esdb.ReadAllOptions{Direction: esdb.Forwards, From: toPosition(from)}
	switch {
	case dir == eventstore.Backwards:
		ro.Direction = esdb.Backwards
		if from == eventstore.End {
			ro.From = esdb.End{}
		}
	case from == eventstore.Start:
		ro.From = esdb.Start{}
	}
	count := want
	if !first && dir == eventstore.Forwards && want < unlimited {
		count++ // the page starts with the last event of the previous one
	}
	err = s.do(ctx, failure{op: "read", stream: "$all"}, func(c *esdb.Client) error {
		page, raw, last = page[:0], 0, from
		rs, err := c.ReadAll(ctx, ro, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		return drain(rs, func(e eventstore.RecordedEvent) bool {
			switch {
			case dir == eventstore.Forwards && (e.Position.Less(from) || (!first && e.Position == from)):
				return true
			case dir == eventstore.Backwards && from != eventstore.End && !e.Position.Less(from):
				return true
			}
			raw++
			last = e.Position
			if !isSystem(e.Stream, e.Type) {
				page = append(page, e)
			}
			return raw < want
		})
	})
	if err != nil {
		// The call may still be running (see Store.do): leave its results.
		return nil, 0, eventstore.Position{}, err
	}
	return page, raw, last, nil
}

// drain reads rs to its end, handing each event to yield until it returns
// false.
func drain(rs *esdb.ReadStream, yield func(eventstore.RecordedEvent) bool) error {
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rec := ev.OriginalEvent()
		if rec == nil {
			continue
		}
		if !yield(fromRecorded(rec)) {
			return nil
		}
	}
}
