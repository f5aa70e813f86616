package dunningbench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// Cycle is one measured run.
type Cycle struct {
	Invoices int
	// Events is what the engine wrote; EventsPerInvoice the cycle's size.
	Events  int
	Elapsed time.Duration
	Stats   dunning.Stats
}

// PerSecond is invoices through a full cycle per second.
func (c Cycle) PerSecond() float64 {
	if c.Elapsed <= 0 {
		return 0
	}
	return float64(c.Invoices) / c.Elapsed.Seconds()
}

// EventsPerInvoice is how many events the engine writes per cycle.
func (c Cycle) EventsPerInvoice() float64 {
	if c.Invoices == 0 {
		return 0
	}
	return float64(c.Events) / float64(c.Invoices)
}

var start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Decline is a gateway that always declines with insufficient funds.
var Decline = dunning.GatewayFunc(func(context.Context, dunning.ChargeRequest) (dunning.ChargeResult, error) {
	return dunning.ChargeResult{Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51"}, nil
})

// Run records n subscriptions with a finalized renewal invoice each
// (untimed), then times an engine that charges every invoice, fails,
// runs the default preset to its end (three retries, pause, cancel,
// leave overdue) on a virtual clock, and writes every decision to the
// store in dir, staging up to 65,536 streams before a flush. Otherwise
// the defaults apply: 5% exploration, payment-failed emails recorded on
// channel "none" (no mail server).
func Run(ctx context.Context, dir string, n int) (Cycle, error) {
	s, err := pebble.Open(dir, pebble.Options{})
	if err != nil {
		return Cycle{}, err
	}
	defer s.Close()
	if err := setup(ctx, s, n); err != nil {
		return Cycle{}, err
	}
	clock := dunning.NewVirtualClock(start)
	// One flush for the whole cycle: each invoice's events then go to the
	// store in one append per stream (see dunning.WithBatchSize).
	e, err := dunning.New(s, clock, Decline, dunning.WithInitialCharge(true), dunning.WithBatchSize(1<<16))
	if err != nil {
		return Cycle{}, err
	}
	defer e.Close()
	// Catch up with the setup first so that only the cycle is timed.
	if err := e.AdvanceTo(ctx, start.Add(-time.Second)); err != nil {
		return Cycle{}, err
	}
	t0 := time.Now()
	if err := e.AdvanceTo(ctx, start.Add(60*24*time.Hour)); err != nil {
		return Cycle{}, err
	}
	c := Cycle{Invoices: n, Events: e.Stats().Events, Elapsed: time.Since(t0), Stats: e.Stats()}
	if c.EventsPerInvoice() < 10 {
		return c, fmt.Errorf("dunning bench: %.1f events per invoice: the cycle did not run", c.EventsPerInvoice())
	}
	return c, nil
}

// setup appends each subscription and its invoice, concurrently.
func setup(ctx context.Context, s eventstore.Store, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	work := make(chan int)
	for range 64 {
		wg.Go(func() {
			for i := range work {
				if err := record(ctx, s, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func record(ctx context.Context, s eventstore.Store, i int) error {
	id := strconv.Itoa(i)
	at := domain.Base{OccurredAt: start.Add(-time.Hour)}
	evs := []domain.Event{
		domain.SubscriptionStarted{Base: at, SubscriptionID: "sub_" + id, CustomerID: "cus_" + id, ProductID: "prod_1",
			PaymentMethodID: "pm_" + id, Amount: 1900, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
		domain.InvoiceFinalized{Base: domain.Base{OccurredAt: start}, InvoiceID: "in_" + id, CustomerID: "cus_" + id,
			SubscriptionID: "sub_" + id, ProductID: "prod_1", PaymentMethodID: "pm_" + id, Amount: 1900, Currency: "usd",
			CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"},
	}
	for _, ev := range evs {
		typ, data, err := domain.Encode(ev)
		if err != nil {
			return err
		}
		if _, err := s.Append(ctx, ev.StreamName(), eventstore.NoStream, eventstore.EventData{Type: typ, Data: data}); err != nil {
			return fmt.Errorf("dunning bench setup: %w", err)
		}
	}
	return nil
}
