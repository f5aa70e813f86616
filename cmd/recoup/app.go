package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/recoupledger/recoup/api"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/projections"
	"github.com/recoupledger/recoup/projections/analytics"
	"github.com/recoupledger/recoup/projections/readmodel"
	"github.com/recoupledger/recoup/smartretry"
)

// appOptions say how to assemble a running Recoup: where its data is,
// which store, which keys.
type appOptions struct {
	data      string
	store     string // pebble or kurrentdb
	kurrent   string // KurrentDB connection string
	model     string // model file; default DIR/model.json
	keys      *api.Keys
	rateLimit api.RateLimit
	log       *slog.Logger
}

// app is a running Recoup: store, projections, model and API, with the
// goroutines it owns. close stops them in order.
type app struct {
	store   eventstore.Store
	idem    *api.IdempotencyStore
	rm      *readmodel.DB
	an      *analytics.DB
	runner  *projections.Runner
	server  *api.Server
	model   *smartretry.Logistic
	engine  *dunning.Engine // set once the engine starts; guarded by mu
	version string

	caughtUp chan struct{} // closed after the first catch-up
	stop     context.CancelFunc
	wg       sync.WaitGroup
	closers  []func() error
	runErr   error
	mu       sync.Mutex
}

// analyticsMemory bounds DuckDB's buffer pool in the server.
const analyticsMemory = "512MB"

// modelFile is where `recoup train` puts the model inside a data dir.
func modelFile(data string) string { return filepath.Join(data, "model.json") }

// idempotencyDir holds the API's remembered responses.
func idempotencyDir(data string) string { return filepath.Join(data, "idempotency") }

// backtestDir holds the API's backtest jobs and their results.
func backtestDir(data string) string { return filepath.Join(data, "backtests") }

// openApp opens everything under opts.data and starts the projection
// runner; the caller serves app.server and calls close.
func openApp(ctx context.Context, opts appOptions) (_ *app, err error) {
	a := &app{caughtUp: make(chan struct{})}
	defer func() {
		if err != nil {
			_ = a.close()
		}
	}()
	layout := datadir.New(opts.data)
	if err := os.MkdirAll(opts.data, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if a.store, err = openStore(ctx, opts, layout); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.store.Close)
	if a.idem, err = api.OpenIdempotencyStore(idempotencyDir(opts.data), api.DefaultIdempotencyTTL); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.idem.Close)
	bts, err := api.OpenBacktestStore(backtestDir(opts.data))
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, bts.Close)
	if a.rm, err = readmodel.Open(layout.ReadModel()); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.rm.Close)
	if a.an, err = analytics.Open(ctx, layout.Analytics(), analyticsMemory); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.an.Close)
	if err := api.LockDownAnalytics(ctx, a.an); err != nil {
		return nil, err
	}
	anProj, err := analytics.NewProjection(ctx, a.an)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, anProj.Close)
	pm := projections.NewMetrics()
	projs := append(readmodel.Projections(a.rm), anProj)
	if a.runner, err = projections.NewRunner(a.store, projections.Options{Metrics: pm}, projs...); err != nil {
		return nil, err
	}
	cfg := api.Config{Store: a.store, Keys: opts.keys, Idempotency: a.idem, Backtests: bts, ReadModels: a.rm, Analytics: a.an,
		Ready: a.ready, Queue: a, Collectors: pm.Collectors(), RateLimit: opts.rateLimit, Logger: opts.log}
	mpath := opts.model
	if mpath == "" {
		mpath = modelFile(opts.data)
	}
	var retryPlanner dunning.RetryPlanner
	if lm, err := smartretry.Load(mpath); err == nil {
		a.model, a.version = lm.Logistic, lm.Version
		planner := lm.Planner(smartretry.NetworkRules)
		cfg.Recommender, cfg.Model = planner, lm.Logistic
		retryPlanner = planner
		opts.log.Info("model loaded", "path", mpath, "family", lm.Family, "version", lm.Version)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("model %s: %w", mpath, err)
	} else {
		opts.log.Warn("no model yet: recommendations and backtests answer 501 until `recoup train` writes one", "path", mpath)
	}
	if a.server, err = api.New(cfg); err != nil {
		return nil, err
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	a.wg.Add(1)
	go a.project(rctx, opts.log)
	if err := a.startDunning(rctx, retryPlanner, opts.log); err != nil {
		return nil, err
	}
	return a, nil
}

func openStore(ctx context.Context, opts appOptions, layout datadir.Layout) (eventstore.Store, error) {
	f := backend.Flags{Store: opts.store, KurrentDBURL: opts.kurrent}
	if f.Store == "" {
		f.Store = string(backend.Pebble)
	}
	return openEventStore(ctx, &f, layout.Root, false)
}

// project catches the read models up, marks the app ready, then follows
// the log live until stopped.
func (a *app) project(ctx context.Context, log *slog.Logger) {
	defer a.wg.Done()
	if err := a.runner.CatchUp(ctx); err != nil {
		a.fail(fmt.Errorf("projections: %w", err), log)
		return
	}
	close(a.caughtUp)
	if err := a.runner.Run(ctx); err != nil && ctx.Err() == nil {
		a.fail(fmt.Errorf("projections: %w", err), log)
	}
}

func (a *app) fail(err error, log *slog.Logger) {
	a.mu.Lock()
	a.runErr = err
	a.mu.Unlock()
	log.Error("background part stopped", "err", err)
}

// maxReadyLag is how far behind the log the projections may be and
// still count as caught up.
const maxReadyLag = 1000

// ready implements /readyz: the store is open, the first catch-up is
// done, nothing has failed, and the read models are close to the head.
func (a *app) ready(ctx context.Context) error {
	a.mu.Lock()
	err := a.runErr
	a.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-a.caughtUp:
	default:
		return errors.New("projections are catching up with the log")
	}
	lag, err := a.runner.Lag(ctx)
	if err != nil {
		return err
	}
	for name, n := range lag {
		if n > maxReadyLag {
			return fmt.Errorf("projection %s is %d events behind", name, n)
		}
	}
	return nil
}

// close stops the background parts, then closes in reverse open order.
func (a *app) close() error {
	if a.stop != nil {
		a.stop()
		a.wg.Wait()
	}
	if a.server != nil {
		a.server.Close()
	}
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

// QueueDepth implements api.QueueReporter with the dunning engine's timer
// queue (0 before the engine starts).
func (a *app) QueueDepth() int {
	a.mu.Lock()
	eng := a.engine
	a.mu.Unlock()
	if eng == nil {
		return 0
	}
	return eng.QueueDepth()
}
