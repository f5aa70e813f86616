package simulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
)

// logHash hashes $all in its order: each event's stream, revision, type,
// ID, content type, data and metadata. Record times are the store's and
// excluded; business times are in the data and virtual.
func logHash(t *testing.T, dir string) (string, []eventstore.RecordedEvent) {
	t.Helper()
	s, err := pebble.Open(datadir.New(dir).Events(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, r := range recs {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s\x00", r.Stream, r.Revision, r.Type, r.ContentType)
		h.Write(r.ID[:])
		fmt.Fprintf(h, "%d\x00", len(r.Data))
		h.Write(r.Data)
		fmt.Fprintf(h, "%d\x00", len(r.Metadata))
		h.Write(r.Metadata)
	}
	return hex.EncodeToString(h.Sum(nil)), recs
}

func simulateSmall(t *testing.T, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	m := defaultWorld(t, "b2c_us")
	if _, err := Simulate(context.Background(), m, dir, SimOptions{Seed: seed, Customers: 250, Days: 45, Step: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSimulateDeterministic: the same seed gives the same log byte for
// byte, in $all order, with the default options.
func TestSimulateDeterministic(t *testing.T) {
	a := simulateSmall(t, 5)
	b := simulateSmall(t, 5)
	ha, recs := logHash(t, a)
	hb, recsB := logHash(t, b)
	if ha != hb {
		for i := range min(len(recs), len(recsB)) {
			if recs[i].ID != recsB[i].ID {
				t.Errorf("first difference in $all at index %d: %s@%d vs %s@%d", i, recs[i].Stream, recs[i].Revision, recsB[i].Stream, recsB[i].Revision)
				break
			}
		}
		t.Fatalf("same seed: $all hashes differ: %s vs %s (%d and %d events)", ha, hb, len(recs), len(recsB))
	}
	d := simulateSmall(t, 6)
	if hd, _ := logHash(t, d); hd == ha {
		t.Fatal("different seeds gave the same log")
	}
	checkHistory(t, recs)
}

// checkHistory checks that the log is a plausible dunning history: every
// event decodes, business times never run ahead of the step that wrote
// them, renewals fail at about the world's rate and the engine retried.
func checkHistory(t *testing.T, recs []eventstore.RecordedEvent) {
	t.Helper()
	counts := map[string]int{}
	first, failedFirst := 0, 0
	for _, r := range recs {
		e, err := domain.Decode(r.Type, r.Data)
		if err != nil {
			t.Fatalf("%s@%d: %v", r.Stream, r.Revision, err)
		}
		counts[r.Type]++
		if a, ok := e.(domain.PaymentAttempted); ok && a.Initiator == domain.InitiatorInitial {
			first++
			if a.Outcome == domain.Failed {
				failedFirst++
				if a.DeclineCode == "" || a.NetworkDeclineCode == "" {
					t.Errorf("%s: a decline without codes", a.InvoiceID)
				}
			}
		}
		if a, ok := e.(domain.PaymentAttempted); ok && a.Initiator == domain.InitiatorCustomer && !strings.HasPrefix(a.ChargeID, "ch_") {
			t.Errorf("customer payment without a charge id")
		}
	}
	rate := float64(failedFirst) / float64(first)
	if first < 200 || rate < 0.05 || rate > 0.2 {
		t.Errorf("%d first attempts, %.3f declined", first, rate)
	}
	for _, typ := range []string{domain.TypeCustomerRegistered, domain.TypeInvoiceFinalized, domain.TypeDunningStarted, domain.TypeRetryScheduled,
		domain.TypeCardActivityObserved, domain.TypeReminderSent, domain.TypeInvoicePaid} {
		if counts[typ] == 0 {
			t.Errorf("no %s in the history: %v", typ, counts)
		}
	}
}

func TestSimulateRefusesNonEmptyStore(t *testing.T) {
	dir := simulateSmall(t, 1)
	m := defaultWorld(t, "b2c_us")
	_, err := Simulate(context.Background(), m, dir, SimOptions{Seed: 1, Customers: 10, Days: 1})
	if err == nil || !strings.Contains(err.Error(), "fresh directory") {
		t.Fatalf("want a refusal to write into a used store, got %v", err)
	}
	for _, opt := range []SimOptions{{Customers: 0, Days: 1}, {Customers: 1, Days: 0}} {
		if _, err := Simulate(context.Background(), m, t.TempDir(), opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
}

func TestSample(t *testing.T) {
	if testing.Short() {
		t.Skip("sample history: a few seconds")
	}
	dir := t.TempDir()
	st, err := Sample(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Renewals < 1000 || st.Declines < 50 || st.EngineEvents == 0 {
		t.Fatalf("sample history too thin: %+v", st)
	}
	_, recs := logHash(t, dir)
	if len(recs) != st.WorldEvents+st.EngineEvents {
		t.Fatalf("store holds %d events, stats say %d", len(recs), st.WorldEvents+st.EngineEvents)
	}
	checkHistory(t, recs)
}
