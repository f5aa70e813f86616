package kurrent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/kurrent"
)

func jsonEvent(typ string, i int) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: fmt.Appendf(nil, `{"n":%d}`, i)}
}

// recvEvents receives until n events arrived, returning them and the
// checkpoints seen on the way.
func recvEvents(t *testing.T, sub eventstore.Subscription, n int) (evs []eventstore.RecordedEvent, cps []eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(evs) < n {
		m, err := sub.Recv(ctx)
		if err != nil {
			t.Fatalf("recv after %d of %d events: %v", len(evs), n, err)
		}
		if m.Event != nil {
			evs = append(evs, *m.Event)
		} else {
			cps = append(cps, *m.Checkpoint)
		}
	}
	return evs, cps
}

func sameIDs(t *testing.T, what string, got, want []eventstore.RecordedEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			t.Fatalf("%s: event %d is %s@%v, want %s@%v", what, i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
		}
	}
}

// TestSubscriptionSurvivesRestart stops the server in the middle of a
// subscription, writes while it is down (straight into its store) and
// after it is back: the subscription resumes after the last event it
// delivered, with no gap and no duplicate, filtered or not.
func TestSubscriptionSurvivesRestart(t *testing.T) {
	cases := []struct {
		name   string
		filter eventstore.Filter
	}{
		{"unfiltered", eventstore.Filter{}},
		{"stream prefix, server-side", eventstore.Filter{Kind: eventstore.FilterStreamName, Prefixes: []string{"invoice-"}}},
		{"event type, server-side", eventstore.Filter{Kind: eventstore.FilterEventType, Prefixes: []string{"Payment"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, ps := startDouble(t)
			s := openStore(t, srv.URL(), kurrent.Options{MaxDiscoverAttempts: 2})
			ctx := context.Background()
			write := func(st eventstore.Store, from, n int) {
				for i := from; i < from+n; i++ {
					stream := fmt.Sprintf("invoice-%d", i%3)
					if i%2 == 1 {
						stream = fmt.Sprintf("customer-%d", i%3)
					}
					if _, err := st.Append(ctx, stream, eventstore.Any, jsonEvent("PaymentAttempted", i), jsonEvent("ReminderSent", i)); err != nil {
						t.Fatalf("append %d: %v", i, err)
					}
				}
			}
			write(s, 0, 6)
			sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true, Filter: c.filter, CheckpointInterval: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			want := matching(t, ps, c.filter)
			first, _ := recvEvents(t, sub, len(want))
			sameIDs(t, "before the restart", first, want)

			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			_, err = s.Append(ctx, "invoice-9", eventstore.Any, jsonEvent("PaymentAttempted", 99))
			if !errors.Is(err, eventstore.ErrUnavailable) {
				t.Fatalf("append while the server is down: %v, want ErrUnavailable", err)
			}
			write(ps, 6, 4) // committed while the client cannot see the server
			restarted := make(chan error, 1)
			go func() {
				time.Sleep(300 * time.Millisecond)
				restarted <- srv.Restart()
			}()
			all := matching(t, ps, c.filter)
			rest, _ := recvEvents(t, sub, len(all)-len(want))
			if err := <-restarted; err != nil {
				t.Fatal(err)
			}
			sameIDs(t, "after the restart", rest, all[len(want):])

			write(s, 10, 3) // and live again through the new connection
			final := matching(t, ps, c.filter)
			live, _ := recvEvents(t, sub, len(final)-len(all))
			sameIDs(t, "live after the restart", live, final[len(all):])
		})
	}
}

// TestRecvReportsLongOutage checks Recv gives up with ErrUnavailable after
// ResubscribeWait, and that a later Recv resumes where it left off.
func TestRecvReportsLongOutage(t *testing.T) {
	srv, ps := startDouble(t)
	s := openStore(t, srv.URL(), kurrent.Options{ResubscribeWait: 300 * time.Millisecond, MaxDiscoverAttempts: 1})
	ctx := context.Background()
	if _, err := s.Append(ctx, "invoice-1", eventstore.NoStream, jsonEvent("InvoiceFinalized", 0)); err != nil {
		t.Fatal(err)
	}
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	recvEvents(t, sub, 1)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := sub.Recv(rctx); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("recv during a long outage: %v, want ErrUnavailable", err)
	}
	if _, err := ps.Append(ctx, "invoice-1", eventstore.Exact(0), jsonEvent("InvoicePaid", 1)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	got, _ := recvEvents(t, sub, 1)
	if got[0].Stream != "invoice-1" || got[0].Revision != 1 {
		t.Fatalf("resumed with %s@%d, want invoice-1@1", got[0].Stream, got[0].Revision)
	}
	// And ordinary calls work again on a fresh connection.
	if _, err := s.Append(ctx, "invoice-1", eventstore.Exact(1), jsonEvent("InvoiceVoided", 2)); err != nil {
		t.Fatalf("append after the restart: %v", err)
	}
}

// matching reads the store's $all and keeps what filter passes.
func matching(t *testing.T, st eventstore.Store, f eventstore.Filter) []eventstore.RecordedEvent {
	t.Helper()
	all, err := st.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []eventstore.RecordedEvent
	for _, e := range all {
		if f.Match(e.Stream, e.Type) {
			out = append(out, e)
		}
	}
	return out
}
