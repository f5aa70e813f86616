package readmodel

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// Page is Stripe-style cursor pagination: newest first, at most Limit
// items after the StartingAfter object or before the EndingBefore one.
type Page struct {
	Limit         int    `json:"limit"`
	StartingAfter string `json:"starting_after,omitempty"`
	EndingBefore  string `json:"ending_before,omitempty"`
}

// Limits of Page.Limit.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// List is one page of a listing.
type List[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

func (p *Page) check() error {
	switch {
	case p.Limit == 0:
		p.Limit = DefaultLimit
	case p.Limit < 1 || p.Limit > MaxLimit:
		return &ArgumentError{Field: "limit", Rule: fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	if p.StartingAfter != "" && p.EndingBefore != "" {
		return &ArgumentError{Field: "ending_before", Rule: "cannot be combined with starting_after"}
	}
	return nil
}

// list pages through one index of kind, keeping records for which keep
// is true. It reads from one snapshot so a page is consistent.
func list[R any, P row[R]](r pebble.Reader, kind, noun string, ix ixEntry, page Page, keep func(*R) bool) (List[R], error) {
	var out List[R]
	if err := page.check(); err != nil {
		return out, err
	}
	prefix := indexPrefix(nil, kind, ix.name, ix.value)
	opts := &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)}
	it, err := r.NewIter(opts)
	if err != nil {
		return out, fmt.Errorf("readmodel: list %s: %w", noun, err)
	}
	defer it.Close()

	forward := page.EndingBefore != ""
	cursor := page.StartingAfter + page.EndingBefore
	var valid bool
	switch {
	case cursor == "":
		valid = it.Last()
	default:
		var c R
		if err := load[R, P](r, kind, noun, cursor, &c); err != nil {
			field := "starting_after"
			if forward {
				field = "ending_before"
			}
			return out, fmt.Errorf("%s: %w", field, err)
		}
		at := binary.BigEndian.AppendUint64(slices.Clone(prefix), P(&c).sequence())
		if forward {
			valid = it.SeekGE(at)
			if valid && string(it.Key()) == string(at) {
				valid = it.Next()
			}
		} else {
			valid = it.SeekLT(at)
		}
	}
	for ; valid; valid = step(it, forward) {
		var rec R
		if err := load[R, P](r, kind, noun, string(it.Value()), &rec); err != nil {
			return out, err
		}
		if keep != nil && !keep(&rec) {
			continue
		}
		if len(out.Data) == page.Limit {
			out.HasMore = true
			break
		}
		out.Data = append(out.Data, rec)
	}
	if err := it.Error(); err != nil {
		return out, fmt.Errorf("readmodel: list %s: %w", noun, err)
	}
	if forward {
		slices.Reverse(out.Data)
	}
	if out.Data == nil {
		out.Data = []R{}
	}
	return out, nil
}

func step(it *pebble.Iterator, forward bool) bool {
	if forward {
		return it.Next()
	}
	return it.Prev()
}

// load reads and decodes the record id of kind.
func load[R any, P row[R]](r pebble.Reader, kind, noun, id string, dst *R) error {
	v, closer, err := r.Get(recordKey(nil, kind, id))
	if err == pebble.ErrNotFound {
		return &NotFoundError{Kind: noun, ID: id}
	}
	if err != nil {
		return fmt.Errorf("readmodel: get %s %s: %w", noun, id, err)
	}
	defer closer.Close()
	d := newDec(v)
	P(dst).decode(d)
	if err := d.done(); err != nil {
		return fmt.Errorf("readmodel: %s %s: %w", noun, id, err)
	}
	return nil
}
