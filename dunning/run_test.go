package dunning_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/dunning/notify/notifytest"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// Run on the wall clock, as `recoup serve` drives it: a failure recorded
// while it runs is answered (run started, retry scheduled, email and
// webhooks sent), and a card update after a hard decline is retried at
// once through a timer.
func TestRunOnWallClock(t *testing.T) {
	store, err := pebble.Open(t.TempDir(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	smtp := notifytest.NewSMTPServer(t)
	hooks := notifytest.NewReceiver(t, hookSecret)
	mailer, _ := notify.NewMailer(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, From: "billing@recoup.test"})
	webhooks, _ := notify.NewWebhooks(notify.WebhookConfig{URL: hooks.URL, Secret: hookSecret})
	gw := newGateway()
	gw.set(func(r dunning.ChargeRequest) dunning.ChargeResult {
		return dunning.ChargeResult{Outcome: domain.Succeeded}
	})
	e, err := dunning.New(store, dunning.WallClock{}, gw, dunning.WithNotifier(&notify.Notifier{Mail: mailer, Hooks: webhooks}))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	h := &harness{t: t, store: store, clock: dunning.NewVirtualClock(time.Now().UTC().Truncate(time.Second))}
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "stolen_card")
	waitFor(t, "the run to block and notify", func() bool {
		return len(smtp.Messages()) == 1 && len(hooks.Deliveries()) == 2 &&
			len(ofType[domain.RetryBlocked](h.events(domain.InvoiceStream(inv)))) == 1
	})
	h.record(domain.PaymentMethodUpdated{Base: domain.Base{OccurredAt: time.Now().UTC()}, PaymentMethodID: "pm_1", CustomerID: "cus_1",
		Source: domain.UpdatedByCustomer, ExpMonth: 2, ExpYear: 2032, Last4: "1111", NewNumber: true})
	waitFor(t, "the retry on the new card", func() bool {
		return len(ofType[domain.InvoicePaid](h.events(domain.InvoiceStream(inv)))) == 1
	})
	if got := h.types(domain.SubscriptionStream("sub_1")); !slices.Equal(got, []string{"SubscriptionStarted", "SubscriptionPaused", "SubscriptionResumed"}) {
		t.Fatalf("subscription: %v", got)
	}
	waitFor(t, "the invoice.paid webhook", func() bool { return len(h.webhooksOfReceiver(hooks, notify.EventInvoicePaid)) == 1 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel", err)
	}

	// A restarted server replays the ledger and sends and writes nothing
	// again.
	before, mails, delivered := len(h.events(domain.InvoiceStream(inv))), len(smtp.Messages()), len(hooks.Deliveries())
	e2, err := dunning.New(store, dunning.WallClock{}, gw, dunning.WithNotifier(&notify.Notifier{Mail: mailer, Hooks: webhooks}))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- e2.Run(ctx2) }()
	head, err := store.ReadAll(context.Background(), eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the restarted engine to catch up", func() bool { return !e2.Position().Less(head[0].Position) })
	time.Sleep(200 * time.Millisecond) // let a wrongly due timer fire, if any
	cancel2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	if after := len(h.events(domain.InvoiceStream(inv))); after != before || len(smtp.Messages()) != mails || len(hooks.Deliveries()) != delivered {
		t.Fatalf("restart wrote %d events, sent %d emails and %d webhooks again", after-before, len(smtp.Messages())-mails, len(hooks.Deliveries())-delivered)
	}
}

// Another writer gets to the invoice first (the customer paid by bank
// transfer while a retry was being charged): the engine's append is
// refused when it flushes (at the latest when AdvanceTo returns), it
// re-reads the invoice, records nothing of the stale attempt, and follows
// the payment (the subscription resumes, retries stop).
func TestConcurrentWriterWins(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	inv := h.failedRenewal("1", "insufficient_funds")
	h.gw.set(func(r dunning.ChargeRequest) dunning.ChargeResult {
		if r.AttemptNumber == 2 {
			b := domain.Base{OccurredAt: r.At}
			h.record(domain.PartialPaymentReceived{Base: b, InvoiceID: inv, Amount: 2500}, domain.InvoicePaid{Base: b, InvoiceID: inv, AmountPaid: 2500})
		}
		return decline("insufficient_funds")
	})
	h.advance(at(day + time.Hour))
	h.advance(at(30 * day))
	evs := h.events(domain.InvoiceStream(inv))
	if n := len(ofType[domain.PaymentAttempted](evs)); n != 1 {
		t.Fatalf("%d attempts recorded, want only the first (the stale retry must not be written)", n)
	}
	if got := h.gw.attemptTimes(inv); len(got) != 1 {
		t.Fatalf("retries after the invoice was paid: %v", got)
	}
	if got := h.types(domain.SubscriptionStream("sub_1")); !slices.Equal(got, []string{"SubscriptionStarted", "SubscriptionPaused", "SubscriptionResumed"}) {
		t.Fatalf("subscription: %v", got)
	}
}

// A store failure other than a conflict stops AdvanceTo with an error
// that names the stream.
func TestStoreFailureStopsTheEngine(t *testing.T) {
	h := newHarness(t)
	h.customer("1", domain.Visa)
	h.failedRenewal("1", "insufficient_funds")
	h.advance(at(time.Hour))
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	err := h.engine.AdvanceTo(context.Background(), at(2*day))
	if err == nil || !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("AdvanceTo over a closed store = %v, want ErrClosed", err)
	}
	h.store = nil
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) webhooksOfReceiver(r *notifytest.Receiver, typ string) []notify.Event {
	var out []notify.Event
	for _, d := range r.Deliveries() {
		if d.Event.Type == typ {
			out = append(out, d.Event)
		}
	}
	return out
}
