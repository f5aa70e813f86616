package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/internal/datadir"
)

// addStoreFlags gives cmd the flags that choose the event store (--store
// pebble|kurrentdb, --kurrentdb-url URL); open the store with
// openEventStore. Only commands that open the store get them, so no
// command accepts a --store it would ignore.
func addStoreFlags(cmd *cobra.Command) *backend.Flags {
	f := new(backend.Flags)
	f.Register(cmd.Flags())
	return f
}

// checkStoreFlags reports a mistaken store choice (say --store kurrentdb
// without --kurrentdb-url) before a command does anything else.
func checkStoreFlags(f *backend.Flags) error {
	_, err := f.Spec("")
	return err
}

// openEventStore opens the event store the flags choose: the embedded
// store in the data directory dir (datadir's events directory), or the
// KurrentDB server of --kurrentdb-url. With mustExist, a missing embedded
// store is an error naming the directory instead of a new empty store
// (for commands that only read).
func openEventStore(ctx context.Context, f *backend.Flags, dir string, mustExist bool) (eventstore.Store, error) {
	sp, err := f.Spec(datadir.New(dir).Events())
	if err != nil {
		return nil, err
	}
	if sp.Kind == backend.Pebble {
		if dir == "" {
			return nil, eventstore.Invalid("open", "", "data", "a data directory is required for the embedded store")
		}
		if _, err := os.Stat(sp.Target); mustExist && errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s has no event store (%s is missing)", dir, sp.Target)
		}
	}
	s, err := sp.Open(ctx)
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w", sp, err)
	}
	return s, nil
}
