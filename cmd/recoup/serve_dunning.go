package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/dunning/notify"
)

// EnvPublicURL is the base URL of the pay and update-card links in
// customer emails.
const EnvPublicURL = "RECOUP_PUBLIC_URL"

// startDunning runs the dunning engine on the wall clock beside the
// projections, until ctx ends (app.close waits for it). The billing system
// makes the charges (no processor adapter yet): the engine decides the
// retries, sends the emails (RECOUP_SMTP_*) and signed webhooks
// (RECOUP_WEBHOOK_URL and RECOUP_WEBHOOK_SECRET), and applies each run's
// outcome. planner is the smart-retry planner when a model is loaded.
func (a *app) startDunning(ctx context.Context, planner dunning.RetryPlanner, log *slog.Logger) error {
	n, err := notify.FromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("dunning notifications: %w", err)
	}
	if !n.EmailEnabled() {
		log.Warn("no SMTP server configured (RECOUP_SMTP_HOST): customer emails are recorded on channel \"none\", not sent")
	}
	opts := []dunning.Option{dunning.WithNotifier(n), dunning.WithLogger(log)}
	if planner != nil {
		opts = append(opts, dunning.WithPlanner(planner))
	}
	if base := os.Getenv(EnvPublicURL); base != "" {
		opts = append(opts, dunning.WithLinkBase(base))
	}
	eng, err := dunning.New(a.store, dunning.WallClock{}, nil, opts...)
	if err != nil {
		return err
	}
	a.closers = append(a.closers, eng.Close)
	a.mu.Lock()
	a.engine = eng
	a.mu.Unlock()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := eng.Run(ctx); err != nil && ctx.Err() == nil {
			a.fail(fmt.Errorf("dunning: %w", err), log)
		}
	}()
	return nil
}
