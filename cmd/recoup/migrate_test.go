package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent/kurrenttest"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// recoup runs the command line in-process and returns its stdout.
func recoup(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	// Flags keep their values between in-process runs; start migrate's
	// (all scalars) from their defaults.
	if c, _, err := rootCmd.Find([]string{"migrate"}); err == nil {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			f.Value.Set(f.DefValue)
			f.Changed = false
		})
	}
	rootCmd.SetArgs(args)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	err := rootCmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestMigrateRoundTrip copies a Pebble store into KurrentDB (the protocol
// double) and back into a new Pebble store through the command line, and
// expects the same $all: IDs, streams, revisions, types and data.
func TestMigrateRoundTrip(t *testing.T) {
	ctx := context.Background()
	srcDir, backDir := filepath.Join(t.TempDir(), "events"), filepath.Join(t.TempDir(), "events")
	src, err := pebble.Open(srcDir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		stream := fmt.Sprintf("invoice-%d", i%7)
		ev := eventstore.EventData{ID: uuid.New(), Type: "PaymentAttempted", Data: fmt.Appendf(nil, `{"attempt":%d}`, i)}
		if _, err := src.Append(ctx, stream, eventstore.Any, ev); err != nil {
			t.Fatal(err)
		}
	}
	want, err := src.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src.Close()

	kstore, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kstore.Close()
	srv, err := kurrenttest.Start(kstore)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	out, err := recoup(t, "migrate", "--from", "pebble:"+srcDir, "--to", "kurrentdb:"+srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "copied 30 events; 7 streams") {
		t.Fatalf("report %q", out)
	}
	out, err = recoup(t, "migrate", "--from", srv.URL(), "--to", "pebble:"+backDir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Events  int  `json:"events"`
		Resumed bool `json:"resumed"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Events != 30 || rep.Resumed {
		t.Fatalf("JSON report %q (%v)", out, err)
	}
	back, err := pebble.Open(backDir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	got, err := back.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("round trip holds %d events, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.ID != g.ID || w.Stream != g.Stream || w.Revision != g.Revision || w.Type != g.Type || !bytes.Equal(w.Data, g.Data) {
			t.Fatalf("$all[%d] = %s %s@%d, want %s %s@%d", i, g.ID, g.Stream, g.Revision, w.ID, w.Stream, w.Revision)
		}
	}
}

func TestMigrateRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "--from", "pebble:" + dir, "--to", ""}, "from/to"},
		{[]string{"migrate", "--from", "pebble:" + dir, "--to", "pebble:" + dir}, "destination is the source"},
		{[]string{"migrate", "--from", "mysql:x", "--to", "pebble:" + dir}, "--from"},
		{[]string{"migrate", "--from", "pebble:" + dir, "--to", "pebble:" + dir + "/b", "--page-size", "0"}, "page-size"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, err := recoup(t, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}
