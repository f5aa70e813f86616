package backend

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/recoupledger/recoup/eventstore"
)

// Flags are the command-line flags that choose the event store, shared by
// every subcommand that opens one:
//
//	--store pebble|kurrentdb   (default pebble)
//	--kurrentdb-url URL        (required with --store kurrentdb)
//
// The Pebble directory is not a flag of its own: it is part of the data
// directory layout (internal/datadir), which the command passes to Open.
type Flags struct {
	Store        string
	KurrentDBURL string
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Store, "store", string(Pebble), "event store: pebble (embedded, in the data directory) or kurrentdb (a KurrentDB server or cluster)")
	fs.StringVar(&f.KurrentDBURL, "kurrentdb-url", "", "KurrentDB connection string for --store kurrentdb, e.g. esdb://localhost:2113?tls=false")
}

// Spec checks the flags and returns the store they name; pebbleDir is the
// embedded store's directory.
func (f *Flags) Spec(pebbleDir string) (Spec, error) {
	kind, err := ParseKind(f.Store)
	if err != nil {
		return Spec{}, err
	}
	switch kind {
	case KurrentDB:
		if f.KurrentDBURL == "" {
			return Spec{}, eventstore.Invalid("open", "", "kurrentdb-url", "is required with --store kurrentdb")
		}
		return Spec{Kind: kind, Target: f.KurrentDBURL}, nil
	default:
		if f.KurrentDBURL != "" {
			return Spec{}, eventstore.Invalid("open", "", "kurrentdb-url", fmt.Sprintf("only applies to --store kurrentdb, not %s", kind))
		}
		return Spec{Kind: kind, Target: pebbleDir}, nil
	}
}

// Open opens the store the flags name.
func (f *Flags) Open(ctx context.Context, pebbleDir string) (eventstore.Store, error) {
	sp, err := f.Spec(pebbleDir)
	if err != nil {
		return nil, err
	}
	return sp.Open(ctx)
}
