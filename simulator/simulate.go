package simulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
)

// Simulate writes a simulated history into the data directory dir (its
// event store at dir/events, the layout of internal/datadir): the world's
// customers subscribe and renew, and the real dunning engine runs on a
// virtual clock against the world as its gateway. The directory's store
// must be empty. Extra engine options (e.g. a planner) are appended to the
// simulation's own.
func Simulate(ctx context.Context, m *Model, dir string, opt SimOptions, engineOpts ...dunning.Option) (SimStats, error) {
	if err := opt.Validate(); err != nil {
		return SimStats{}, err
	}
	layout := datadir.New(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return SimStats{}, fmt.Errorf("simulate: %w", err)
	}
	store, err := pebble.Open(layout.Events(), pebble.Options{})
	if err != nil {
		return SimStats{}, fmt.Errorf("simulate: open %s: %w", layout.Events(), err)
	}
	defer store.Close()
	last, err := store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
	if err != nil {
		return SimStats{}, fmt.Errorf("simulate: read %s: %w", layout.Events(), err)
	}
	if len(last) > 0 {
		return SimStats{}, fmt.Errorf("simulate: --out %s: the event store already holds events; simulate into a fresh directory", dir)
	}
	stats, err := SimulateInto(ctx, m, store, opt, engineOpts...)
	if cerr := store.Close(); err == nil && cerr != nil && !errors.Is(cerr, eventstore.ErrClosed) {
		err = fmt.Errorf("simulate: close store: %w", cerr)
	}
	return stats, err
}

// SimulateInto runs a simulation against an open store.
func SimulateInto(ctx context.Context, m *Model, store eventstore.Store, opt SimOptions, engineOpts ...dunning.Option) (SimStats, error) {
	sim, err := NewSim(m, opt)
	if err != nil {
		return SimStats{}, err
	}
	clock := dunning.NewVirtualClock(sim.Start())
	gw := dunning.GatewayFunc(func(ctx context.Context, req dunning.ChargeRequest) (dunning.ChargeResult, error) {
		r, err := sim.Charge(ctx, ChargeRequest{IdempotencyKey: req.IdempotencyKey, InvoiceID: req.InvoiceID, PaymentMethodID: req.PaymentMethodID,
			Amount: req.Amount, Currency: req.Currency, AttemptNumber: req.AttemptNumber, At: req.At})
		if err != nil {
			return dunning.ChargeResult{}, err
		}
		out := dunning.ChargeResult{Outcome: "failed", DeclineCode: r.DeclineCode, NetworkDeclineCode: r.NetworkDeclineCode, AdviceCode: r.AdviceCode, ChargeID: r.ChargeID}
		if r.Succeeded {
			out.Outcome = "succeeded"
		}
		return out, nil
	})
	opts := append([]dunning.Option{
		dunning.WithInitialCharge(true),
		dunning.WithSeed(opt.Seed),
		dunning.WithNotifier(inbox{}),
		// The world hands the engine every fact (Record) and never writes
		// to the store itself, so the engine need not read its writes back.
		dunning.WithSoleWriter(),
	}, engineOpts...)
	eng, err := dunning.New(store, clock, gw, opts...)
	if err != nil {
		return SimStats{}, fmt.Errorf("simulate: %w", err)
	}
	defer eng.Close()
	err = sim.Run(ctx, eng)
	sim.Stats.EngineEvents = eng.Stats().Events
	return sim.Stats, err
}

// inbox is the simulated customers' mailbox: every email is delivered
// (and recorded by the engine as ReminderSent); no webhooks are
// configured.
type inbox struct{}

func (inbox) EmailEnabled() bool    { return true }
func (inbox) WebhooksEnabled() bool { return false }
func (inbox) SendEmail(_ context.Context, e notify.Email) (string, error) {
	return e.MessageID, nil
}
func (inbox) SendWebhook(context.Context, notify.Event) (int, error) {
	return 0, errors.New("simulate: no webhook receiver")
}
func (inbox) WebhookURL() string { return "" }

// Sample writes the small sample history used by the demo and tests into
// dir: 1,000 customers of the default B2C world over 60 days, seed 1. It
// is generated, not shipped, and takes seconds.
func Sample(ctx context.Context, dir string) (SimStats, error) {
	m, err := OpenWorld("b2c_us", datasets.World)
	if err != nil {
		return SimStats{}, err
	}
	return Simulate(ctx, m, dir, SampleOptions())
}

// SampleOptions are the sample history's options.
func SampleOptions() SimOptions {
	return SimOptions{Seed: 1, Customers: 1000, Days: 60, Step: time.Hour}
}
