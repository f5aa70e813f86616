// Package backend opens the event store a command is configured with: the
// embedded Pebble store in a directory, or a KurrentDB server or cluster
// by connection string. It is the one place that knows every
// implementation, so that commands (serve, migrate, rebuild, ...) and
// tests choose a store by name and nothing else in Recoup changes when
// the store does.
package backend

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// Kind names an implementation.
type Kind string

const (
	// Pebble is the embedded store; its target is a directory.
	Pebble Kind = "pebble"
	// KurrentDB is a KurrentDB server or cluster; its target is a
	// connection string such as esdb://localhost:2113?tls=false.
	KurrentDB Kind = "kurrentdb"
)

// Kinds lists the implementations, for help texts and errors.
var Kinds = []Kind{Pebble, KurrentDB}

// Spec is a store to open.
type Spec struct {
	Kind   Kind
	Target string // the Pebble directory or the KurrentDB connection string
}

// ParseKind checks a --store value.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case Pebble, KurrentDB:
		return k, nil
	case "kurrent", "esdb", "eventstoredb":
		return KurrentDB, nil
	}
	return "", eventstore.Invalid("open", "", "store", fmt.Sprintf("%q is not one of %s", s, kindList()))
}

// ParseSpec reads "pebble:DIR" or "kurrentdb:URL"; a bare esdb:// or
// esdb+discover:// connection string means KurrentDB.
func ParseSpec(s string) (Spec, error) {
	if strings.HasPrefix(s, "esdb://") || strings.HasPrefix(s, "esdb+discover://") {
		return Spec{Kind: KurrentDB, Target: s}, nil
	}
	kind, target, ok := strings.Cut(s, ":")
	if !ok || target == "" {
		return Spec{}, eventstore.Invalid("open", "", "store", fmt.Sprintf("%q is not KIND:TARGET, for example pebble:./data or kurrentdb:esdb://localhost:2113?tls=false", redact(s)))
	}
	k, err := ParseKind(kind)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Kind: k, Target: target}, nil
}

// String prints the spec with any password in a connection string hidden.
func (s Spec) String() string { return string(s.Kind) + ":" + redact(s.Target) }

// Open opens the store s names. The caller closes it.
func (s Spec) Open(ctx context.Context) (eventstore.Store, error) {
	return Open(ctx, s.Kind, s.Target)
}

// Open opens a store of kind at target: a directory for Pebble (created if
// missing), a connection string for KurrentDB (the server must answer).
func Open(ctx context.Context, kind Kind, target string) (eventstore.Store, error) {
	if target == "" {
		field := "dir"
		if kind == KurrentDB {
			field = "kurrentdb-url"
		}
		return nil, eventstore.Invalid("open", "", field, "must not be empty")
	}
	switch kind {
	case Pebble:
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return pebble.Open(target, pebble.Options{})
	case KurrentDB:
		return kurrent.Open(ctx, target, kurrent.Options{})
	}
	return nil, eventstore.Invalid("open", "", "store", fmt.Sprintf("%q is not one of %s", kind, kindList()))
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// redact hides the password of a connection string.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
