package bench

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// SuiteFunc measures one area and returns its rows.
type SuiteFunc func(ctx context.Context, env *Env) ([]Result, error)

var registry struct {
	mu     sync.Mutex
	names  []string
	suites map[string]SuiteFunc
}

// Register adds a suite. Its figures must be named "<name>.<figure>".
// A name may itself be dotted ("store.kurrent") to file a suite's figures
// under another's (--only store runs both); a figure belongs to the suite
// with the longest matching name. Registering a name twice is a
// programming error and panics at init.
func Register(name string, fn SuiteFunc) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.suites == nil {
		registry.suites = map[string]SuiteFunc{}
	}
	if _, dup := registry.suites[name]; dup || name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		panic(fmt.Sprintf("bench: bad or duplicate suite name %q", name))
	}
	registry.suites[name] = fn
	registry.names = append(registry.names, name)
}

// Suites returns the registered suite names, sorted.
func Suites() []string {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return slices.Sorted(slices.Values(registry.names))
}

// suiteOf returns the suite a figure belongs to: the longest registered
// name that, followed by a dot, prefixes the figure's name.
func suiteOf(figure string) string {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	best := ""
	for _, n := range registry.names {
		if strings.HasPrefix(figure, n+".") && len(n) > len(best) {
			best = n
		}
	}
	if best == "" {
		best, _, _ = strings.Cut(figure, ".")
	}
	return best
}

func suite(name string) (SuiteFunc, bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	fn, ok := registry.suites[name]
	return fn, ok
}

// Env is what a suite gets: a scratch directory on the disk being
// measured, whether to run the short version, and the figures measured so
// far in this run.
type Env struct {
	// Dir is a directory the suite may fill; the runner removes it.
	Dir string
	// Quick asks for a short run (the whole of `recoup bench --quick` must
	// finish within 60 s); figures are noisier.
	Quick bool
	Log   *slog.Logger

	ctx     context.Context
	figures map[string]float64
	ran     map[string]bool
	running map[string]bool
	rows    []Result
}

// NewEnv returns an environment for one run.
func NewEnv(ctx context.Context, dir string, quick bool, log *slog.Logger) *Env {
	if log == nil {
		log = slog.Default()
	}
	return &Env{Dir: dir, Quick: quick, Log: log, ctx: ctx, figures: map[string]float64{}, ran: map[string]bool{}, running: map[string]bool{}}
}

// Figure returns a figure measured in this run, running the suite that
// measures it first if it has not run. ok is false when no suite measures
// it (or that suite failed).
func (e *Env) Figure(name string) (float64, bool) {
	if v, ok := e.figures[name]; ok {
		return v, true
	}
	suiteName := suiteOf(name)
	if e.ran[suiteName] || e.running[suiteName] {
		return 0, false
	}
	if err := e.runSuite(e.ctx, suiteName); err != nil {
		e.Log.Warn("bench: dependency suite failed", "suite", suiteName, "figure", name, "err", err)
	}
	v, ok := e.figures[name]
	return v, ok
}

// Run runs every suite whose name, or one of whose rows, starts with only
// (all when empty) and returns the rows that match only, in the order they
// were measured. Suites run by Figure for a dependency are measured but
// their rows are returned only if they match only.
func (e *Env) Run(only string) ([]Result, error) {
	for _, name := range Suites() {
		if only != "" && !strings.HasPrefix(name, only) && !strings.HasPrefix(only, name+".") {
			continue
		}
		if e.ran[name] {
			continue
		}
		if err := e.runSuite(e.ctx, name); err != nil {
			return e.matching(only), err
		}
	}
	return e.matching(only), nil
}

func (e *Env) matching(only string) []Result {
	var out []Result
	for _, r := range e.rows {
		if only == "" || strings.HasPrefix(r.Name, only) {
			out = append(out, r)
		}
	}
	return out
}

func (e *Env) runSuite(ctx context.Context, name string) error {
	fn, ok := suite(name)
	if !ok {
		return fmt.Errorf("bench: no suite %q", name)
	}
	e.running[name] = true
	defer func() { e.running[name], e.ran[name] = false, true }()
	e.Log.Info("bench: running suite", "suite", name, "quick", e.Quick)
	rows, err := fn(ctx, e)
	for _, r := range rows {
		e.figures[r.Name] = r.Value
		e.rows = append(e.rows, r)
	}
	if err != nil {
		return fmt.Errorf("bench suite %s: %w", name, err)
	}
	return nil
}
