package kurrent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
)

// op is one call of the Store, reduced to its error.
type op struct {
	name string
	call func(ctx context.Context, s eventstore.Store) error
}

func ops(stream string) []op {
	return []op{
		{"append", func(ctx context.Context, s eventstore.Store) error {
			_, err := s.Append(ctx, stream, eventstore.Any, jsonEvent("InvoicePaid", 1))
			return err
		}},
		{"read stream", func(ctx context.Context, s eventstore.Store) error {
			_, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
			return err
		}},
		{"read $all", func(ctx context.Context, s eventstore.Store) error {
			_, err := s.ReadAll(ctx, eventstore.ReadAllOptions{})
			return err
		}},
		{"read metadata", func(ctx context.Context, s eventstore.Store) error {
			_, err := s.StreamMetadata(ctx, stream)
			return err
		}},
		{"set metadata", func(ctx context.Context, s eventstore.Store) error {
			n := uint64(3)
			return s.SetStreamMetadata(ctx, stream, eventstore.Any, eventstore.StreamMetadata{MaxCount: &n})
		}},
		{"delete", func(ctx context.Context, s eventstore.Store) error {
			return s.Delete(ctx, stream, eventstore.Any)
		}},
		{"tombstone", func(ctx context.Context, s eventstore.Store) error {
			return s.Tombstone(ctx, stream, eventstore.Any)
		}},
		{"subscribe", func(ctx context.Context, s eventstore.Store) error {
			sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true})
			if err == nil {
				sub.Close()
			}
			return err
		}},
	}
}

// TestErrorsOverTheWire checks the mapping of what the client reports for
// conditions only a live connection produces: a server that went away, a
// store closed by its owner, and a tombstoned stream, for every call.
func TestErrorsOverTheWire(t *testing.T) {
	srv, ps := startDouble(t)
	s := openStore(t, srv.URL(), kurrent.Options{MaxDiscoverAttempts: 1})
	ctx := context.Background()
	if _, err := ps.Append(ctx, "invoice-7", eventstore.NoStream, jsonEvent("InvoiceFinalized", 0)); err != nil {
		t.Fatal(err)
	}
	if err := ps.Tombstone(ctx, "invoice-7", eventstore.Any); err != nil {
		t.Fatal(err)
	}
	for _, o := range ops("invoice-7") {
		if o.name == "read $all" || o.name == "subscribe" {
			continue // not about one stream
		}
		t.Run("tombstoned/"+o.name, func(t *testing.T) {
			if err := o.call(ctx, s); !errors.Is(err, eventstore.ErrStreamDeleted) {
				t.Fatalf("%s of a tombstoned stream: %v, want ErrStreamDeleted", o.name, err)
			}
		})
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, o := range ops("invoice-8") {
		t.Run("server down/"+o.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := o.call(cctx, s); !errors.Is(err, eventstore.ErrUnavailable) {
				t.Fatalf("%s with the server down: %v, want ErrUnavailable", o.name, err)
			}
		})
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, o := range ops("invoice-9") {
		t.Run("server back/"+o.name, func(t *testing.T) {
			err := o.call(ctx, s)
			if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatalf("%s after the restart: %v", o.name, err)
			}
		})
	}
	s.Close()
	for _, o := range ops("invoice-10") {
		t.Run("closed/"+o.name, func(t *testing.T) {
			if err := o.call(ctx, s); !errors.Is(err, eventstore.ErrClosed) {
				t.Fatalf("%s after Close: %v, want ErrClosed", o.name, err)
			}
		})
	}
}

// TestRefusedBeforeSending covers input KurrentDB would take differently
// from the embedded store, refused by the adapter with the field named.
func TestRefusedBeforeSending(t *testing.T) {
	srv, ps := startDouble(t)
	s := openStore(t, srv.URL(), kurrent.Options{})
	ctx := context.Background()
	half := 1500 * time.Millisecond
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"system stream name", func() error {
			_, err := s.Append(ctx, "$settings", eventstore.Any, jsonEvent("X", 0))
			return err
		}, "stream"},
		{"fractional max age", func() error {
			return s.SetStreamMetadata(ctx, "invoice-1", eventstore.Any, eventstore.StreamMetadata{MaxAge: &half})
		}, "MaxAge"},
		{"read of a system stream", func() error {
			_, err := s.ReadStream(ctx, "$$invoice-1", eventstore.ReadStreamOptions{})
			return err
		}, "stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var e *eventstore.Error
			if !errors.Is(err, eventstore.ErrInvalidArgument) || !errors.As(err, &e) || e.Field != c.field {
				t.Fatalf("got %v, want ErrInvalidArgument naming %s", err, c.field)
			}
		})
	}
	if m, err := ps.StreamMetadata(ctx, "invoice-1"); err != nil || m.MaxAge != nil {
		t.Fatalf("refused metadata reached the server: %+v, %v", m, err)
	}
}

// TestGossipSeeds connects with a cluster-style connection string (several
// gossip seeds), which makes the client ask the Gossip service for the
// leader first.
func TestGossipSeeds(t *testing.T) {
	srv, _ := startDouble(t)
	url := "esdb://" + srv.Addr() + "," + srv.Addr() + "?tls=false"
	s := openStore(t, url, kurrent.Options{})
	if _, err := s.Append(context.Background(), "invoice-1", eventstore.NoStream, jsonEvent("InvoiceFinalized", 0)); err != nil {
		t.Fatalf("append through a gossip-discovered leader: %v", err)
	}
}
