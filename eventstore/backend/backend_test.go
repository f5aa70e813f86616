package backend_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		in      string
		want    backend.Spec
		printed string
		err     bool
	}{
		{in: "pebble:./data", want: backend.Spec{Kind: backend.Pebble, Target: "./data"}, printed: "pebble:./data"},
		{in: "kurrentdb:esdb://localhost:2113?tls=false", want: backend.Spec{Kind: backend.KurrentDB, Target: "esdb://localhost:2113?tls=false"}},
		{in: "esdb://admin:changeit@node1:2113,node2:2113?tls=true", want: backend.Spec{Kind: backend.KurrentDB, Target: "esdb://admin:changeit@node1:2113,node2:2113?tls=true"}, printed: "kurrentdb:esdb://admin:xxxxx@node1:2113,node2:2113?tls=true"},
		{in: "KurrentDB:esdb+discover://cluster.example:2113", want: backend.Spec{Kind: backend.KurrentDB, Target: "esdb+discover://cluster.example:2113"}},
		{in: "pebble:", err: true},
		{in: "./data", err: true},
		{in: "mysql:db", err: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := backend.ParseSpec(c.in)
			if c.err {
				var e *eventstore.Error
				if !errors.As(err, &e) || e.Field != "store" {
					t.Fatalf("ParseSpec(%q) = %+v, %v; want an error naming the store field", c.in, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseSpec(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
			if c.printed != "" && got.String() != c.printed {
				t.Fatalf("printed as %q, want %q", got.String(), c.printed)
			}
			if strings.Contains(got.String(), "changeit") {
				t.Fatalf("password printed: %s", got)
			}
		})
	}
}

// TestOpenEach opens both kinds and writes and reads one event through
// each, the KurrentDB one through the protocol double.
func TestOpenEach(t *testing.T) {
	ctx := context.Background()
	ps, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	srv, err := kurrenttest.Start(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	specs := []backend.Spec{
		{Kind: backend.Pebble, Target: filepath.Join(t.TempDir(), "events")},
		{Kind: backend.KurrentDB, Target: srv.URL()},
	}
	for _, sp := range specs {
		t.Run(string(sp.Kind), func(t *testing.T) {
			s, err := sp.Open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ev := eventstore.EventData{Type: "InvoiceFinalized", Data: []byte(`{"amount":100}`)}
			if _, err := s.Append(ctx, "invoice-1", eventstore.NoStream, ev); err != nil {
				t.Fatal(err)
			}
			got, err := s.ReadStream(ctx, "invoice-1", eventstore.ReadStreamOptions{})
			if err != nil || len(got) != 1 || got[0].Type != "InvoiceFinalized" {
				t.Fatalf("read back %+v, %v", got, err)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	cases := []struct {
		kind   backend.Kind
		target string
		field  string
	}{
		{backend.Pebble, "", "dir"},
		{backend.KurrentDB, "", "kurrentdb-url"},
		{backend.KurrentDB, "http://localhost:2113", "url"},
		{"sqlite", "x", "store"},
	}
	for _, c := range cases {
		t.Run(string(c.kind)+" "+c.target, func(t *testing.T) {
			s, err := backend.Open(context.Background(), c.kind, c.target)
			var e *eventstore.Error
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, eventstore.ErrInvalidArgument) || !errors.As(err, &e) || e.Field != c.field {
				t.Fatalf("Open(%s, %q): %v, want ErrInvalidArgument naming %s", c.kind, c.target, err, c.field)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	cases := []struct {
		args  []string
		want  backend.Spec
		field string
	}{
		{nil, backend.Spec{Kind: backend.Pebble, Target: "/data/events"}, ""},
		{[]string{"--store", "kurrentdb", "--kurrentdb-url", "esdb://k:2113?tls=false"}, backend.Spec{Kind: backend.KurrentDB, Target: "esdb://k:2113?tls=false"}, ""},
		{[]string{"--store", "kurrentdb"}, backend.Spec{}, "kurrentdb-url"},
		{[]string{"--kurrentdb-url", "esdb://k:2113"}, backend.Spec{}, "kurrentdb-url"},
		{[]string{"--store", "postgres"}, backend.Spec{}, "store"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var f backend.Flags
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			f.Register(fs)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			got, err := f.Spec("/data/events")
			if c.field != "" {
				var e *eventstore.Error
				if !errors.As(err, &e) || e.Field != c.field {
					t.Fatalf("got %+v, %v; want an error naming %s", got, err, c.field)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

// FuzzParseSpec checks that any accepted spec names a known kind and a
// target, and that printing it never shows a password.
func FuzzParseSpec(f *testing.F) {
	f.Add("pebble:./data")
	f.Add("kurrentdb:esdb://admin:changeit@localhost:2113?tls=false")
	f.Add("esdb+discover://u:p@cluster:2113")
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := backend.ParseSpec(s)
		if err != nil {
			return
		}
		if (sp.Kind != backend.Pebble && sp.Kind != backend.KurrentDB) || sp.Target == "" {
			t.Fatalf("ParseSpec(%q) = %+v", s, sp)
		}
		printed := strings.TrimPrefix(sp.String(), string(sp.Kind)+":")
		if u, err := url.Parse(sp.Target); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				pu, err := url.Parse(printed)
				if err != nil || pu.User == nil {
					t.Fatalf("%q printed as %q", s, printed)
				}
				if p, _ := pu.User.Password(); p != "xxxxx" {
					t.Fatalf("%q printed with its password: %s", s, printed)
				}
			}
		}
	})
}
