package dunning

import (
	"fmt"
	"log/slog"
)

type config struct {
	planner           RetryPlanner
	notifier          Notifier
	exploreRate       float64
	seed              uint64
	initialCharge     bool
	linkBase          string
	appendConcurrency int
	batchSize         int
	soleWriter        bool
	log               *slog.Logger
}

func defaultConfig() config {
	return config{
		planner:           HeuristicPlanner{},
		notifier:          noNotifier{},
		exploreRate:       DefaultExploreRate,
		linkBase:          "http://localhost:8080",
		appendConcurrency: 4096,
		batchSize:         1 << 14,
		log:               slog.New(slog.DiscardHandler),
	}
}

// Option configures an Engine.
type Option func(*config) error

// WithPlanner sets the planner of smart presets (default HeuristicPlanner).
func WithPlanner(p RetryPlanner) Option {
	return func(c *config) error {
		if p == nil {
			return fmt.Errorf("dunning option: planner: must not be nil")
		}
		c.planner = p
		return nil
	}
}

// WithNotifier sets where emails and webhooks go (default: nowhere, and
// then none is owed or recorded).
func WithNotifier(n Notifier) Option {
	return func(c *config) error {
		if n != nil {
			c.notifier = n
		}
		return nil
	}
}

// WithExploreRate sets the share of retries explored (default 0.05; 0
// disables exploration).
func WithExploreRate(r float64) Option {
	return func(c *config) error {
		if r < 0 || r > 1 || r != r {
			return fmt.Errorf("dunning option: explore rate: %v is not in [0, 1]", r)
		}
		c.exploreRate = r
		return nil
	}
}

// WithSeed seeds exploration; the draw for a retry depends only on the
// seed, the invoice and the attempt number, so a re-run decides the same.
func WithSeed(seed uint64) Option {
	return func(c *config) error { c.seed = seed; return nil }
}

// WithInitialCharge makes the engine charge a finalized
// charge_automatically invoice itself (as the simulator wants); without
// it the engine waits for the billing system to record the first attempt.
func WithInitialCharge(on bool) Option {
	return func(c *config) error { c.initialCharge = on; return nil }
}

// WithLinkBase sets the base URL of pay and update-card links in emails.
func WithLinkBase(base string) Option {
	return func(c *config) error {
		if base == "" {
			return fmt.Errorf("dunning option: link base: must not be empty")
		}
		c.linkBase = base
		return nil
	}
}

// WithAppendConcurrency sets how many appends a flush runs at once on a
// store without multi-stream appends (eventstore.BatchAppender; default
// 4096). 1 writes streams in decision order, which makes the order of
// $all reproducible run to run. A store with multi-stream appends gets
// a whole flush as one, in decision order, and ignores it.
func WithAppendConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("dunning option: append concurrency: %d is less than 1", n)
		}
		c.appendConcurrency = n
		return nil
	}
}

// WithBatchSize sets how many streams may be staged before a flush
// (default 4096).
func WithBatchSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("dunning option: batch size: %d is less than 1", n)
		}
		c.batchSize = n
		return nil
	}
}

// WithSoleWriter declares that, once the engine has caught up with what
// its store held, nothing but the engine writes to the store: every other
// fact reaches it through Record (a simulation's world). The engine then
// reads the store once, at its first catch-up, and never reads its own
// writes back: there is nothing else to read. It is driven by Decide and
// Commit or AdvanceTo on a virtual clock; Run refuses it. A write by
// anyone else is not seen. A conflict with it is still refused by the
// store; on a store that queues appends in order (the embedded one), where
// a sole writer keeps several flushes in flight, the refusal stops the
// engine's writes: its flushes are queued on one eventstore.QueueChain,
// so the store refuses every flush queued after the refused one, and the
// engine stops (elsewhere the stream is re-read). From the moment the
// store refuses it charges and sends nothing more, and the
// next Decide, Commit, Record, Flush, AdvanceTo or Close returns it as a
// *FlushError naming the refused append and the charges made whose
// attempts are not written.
func WithSoleWriter() Option {
	return func(c *config) error { c.soleWriter = true; return nil }
}

// WithLogger sets the engine's logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}
