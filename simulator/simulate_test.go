package simulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
)

// logHash hashes $all's event types, data and IDs (and streams), in $all
// order, or in (stream, revision) order when canonical. Record times are
// the store's and excluded; business times are in the data and virtual.
func logHash(t *testing.T, dir string, canonical bool) (string, []eventstore.RecordedEvent) {
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
	if canonical {
		sort.Slice(recs, func(i, j int) bool {
			if recs[i].Stream != recs[j].Stream {
				return recs[i].Stream < recs[j].Stream
			}
			return recs[i].Revision < recs[j].Revision
		})
	}
	h := sha256.New()
	for _, r := range recs {
		h.Write([]byte(r.Stream))
		h.Write([]byte{0})
		h.Write([]byte(r.Type))
		h.Write([]byte{0})
		h.Write(r.ID[:])
		h.Write(r.Data)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), recs
}

func simulateSmall(t *testing.T, seed uint64, conc int) string {
	t.Helper()
	dir := t.TempDir()
	m := defaultWorld(t, "b2c_us")
	if _, err := Simulate(context.Background(), m, dir, SimOptions{Seed: seed, Customers: 250, Days: 45, Concurrency: conc, Step: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSimulateDeterministic(t *testing.T) {
	a := simulateSmall(t, 5, 1)
	b := simulateSmall(t, 5, 1)
	ha, recs := logHash(t, a, false)
	hb, _ := logHash(t, b, false)
	if ha != hb {
		t.Fatalf("same seed, ordered writes: $all hashes differ: %s vs %s", ha, hb)
	}
	// Concurrent writes change only how streams interleave in $all.
	c := simulateSmall(t, 5, 64)
	ca, _ := logHash(t, a, true)
	cc, _ := logHash(t, c, true)
	if ca != cc {
		t.Fatalf("same seed, concurrent writes: streams differ")
	}
	d := simulateSmall(t, 6, 1)
	if hd, _ := logHash(t, d, false); hd == ha {
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
	dir := simulateSmall(t, 1, 64)
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
	_, recs := logHash(t, dir, false)
	if len(recs) != st.WorldEvents+st.EngineEvents {
		t.Fatalf("store holds %d events, stats say %d", len(recs), st.WorldEvents+st.EngineEvents)
	}
	checkHistory(t, recs)
}
