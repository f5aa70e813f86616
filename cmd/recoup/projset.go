package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/analytics"
	"github.com/recoupledger/recoup/projections/readmodel"
)

// projectionNames are the names `recoup rebuild` accepts: each read
// model, "readmodel" for all four, and "analytics".
var projectionNames = []string{readmodel.NameInvoices, readmodel.NameSubscriptions, readmodel.NamePresets,
	readmodel.NameCards, "readmodel", analytics.Name}

// projectionSet is a data directory's event store and the projections
// asked for, open for writing.
type projectionSet struct {
	store eventstore.Store
	rm    *readmodel.DB
	an    *analytics.DB
	anP   *analytics.Projection
	projs []projections.Projection
}

// openProjections opens the event store the store flags choose (dir's by
// default) and dir's projections named (every one when names is empty).
func openProjections(ctx context.Context, store *backend.Flags, dir string, names []string) (*projectionSet, error) {
	if dir == "" {
		return nil, errors.New("--data: a data directory is required")
	}
	want, err := expandNames(names)
	if err != nil {
		return nil, err
	}
	layout := datadir.New(dir)
	s := &projectionSet{}
	if s.store, err = openLedgerStore(ctx, store, dir); err != nil {
		return nil, err
	}
	if err := s.openProjections(ctx, layout, want); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *projectionSet) openProjections(ctx context.Context, layout datadir.Layout, want []string) error {
	var err error
	for _, p := range []string{readmodel.NameInvoices, readmodel.NameSubscriptions, readmodel.NamePresets, readmodel.NameCards} {
		if !slices.Contains(want, p) {
			continue
		}
		if s.rm == nil {
			if s.rm, err = readmodel.Open(layout.ReadModel()); err != nil {
				return err
			}
		}
		for _, rp := range readmodel.Projections(s.rm) {
			if rp.Name() == p {
				s.projs = append(s.projs, rp)
			}
		}
	}
	if slices.Contains(want, analytics.Name) {
		if s.an, err = analytics.Open(ctx, layout.Analytics(), "256MB"); err != nil {
			return err
		}
		if s.anP, err = analytics.NewProjection(ctx, s.an); err != nil {
			return err
		}
		s.projs = append(s.projs, s.anP)
	}
	return nil
}

func expandNames(names []string) ([]string, error) {
	if len(names) == 0 {
		names = []string{"readmodel", analytics.Name}
	}
	var out []string
	for _, n := range names {
		switch {
		case n == "readmodel":
			out = append(out, readmodel.NameInvoices, readmodel.NameSubscriptions, readmodel.NamePresets, readmodel.NameCards)
		case slices.Contains(projectionNames, n):
			out = append(out, n)
		default:
			return nil, fmt.Errorf("projection %q: unknown; use one of %s", n, strings.Join(projectionNames, ", "))
		}
	}
	return out, nil
}

// Close closes everything that was opened; a second call does nothing.
func (s *projectionSet) Close() error {
	var errs []error
	if s.anP != nil {
		errs = append(errs, s.anP.Close())
		s.anP = nil
	}
	if s.an != nil {
		errs = append(errs, s.an.Close())
		s.an = nil
	}
	if s.rm != nil {
		errs = append(errs, s.rm.Close())
		s.rm = nil
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
		s.store = nil
	}
	return errors.Join(errs...)
}
