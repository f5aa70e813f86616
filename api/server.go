package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections/analytics"
	"github.com/recoupledger/recoup/smartretry"
)

// Config wires the server to the parts it serves. Store, Keys and
// Idempotency are required; a nil optional part makes its routes answer
// 501 not_configured rather than vanish, so the document and the router
// always agree.
type Config struct {
	Store       eventstore.Store
	Keys        *Keys
	Idempotency *IdempotencyStore
	// Backtests keeps backtest jobs across restarts (DATA/backtests); nil
	// keeps them in memory only, until the server stops.
	Backtests *BacktestStore

	// Recommender plans retries (smartretry.Planner); nil answers 501.
	Recommender Recommender
	// Model scores retry times for backtests (the trained model); nil
	// answers 501.
	Model smartretry.Scorer
	// Analytics answers named queries and ad-hoc SQL. It must refuse
	// external access: opened with analytics.OpenReadOnly, or a
	// read-write database locked down (see LockDownAnalytics).
	Analytics *analytics.DB
	// ReadModels answers invoice, subscription and preset queries
	// (readmodel.DB); nil answers 501.
	ReadModels ReadModels
	// Ready reports whether the server can answer reads (store open,
	// projections caught up); nil means always ready.
	Ready func(ctx context.Context) error
	Queue QueueReporter
	// Collectors are registered with the server's /metrics registry: the
	// projection runner's lag and progress, the engine's series.
	Collectors []prometheus.Collector

	RateLimit      RateLimit
	RequestTimeout time.Duration // per request; 0 means DefaultRequestTimeout
	Logger         *slog.Logger
	Now            func() time.Time
}

// DefaultRequestTimeout bounds every request.
const DefaultRequestTimeout = 30 * time.Second

// Server is Recoup's HTTP API.
type Server struct {
	cfg      Config
	store    eventstore.Store
	keys     *Keys
	idem     *IdempotencyStore
	inflight inFlight
	limits   *limiters
	metrics  *metrics
	log      *slog.Logger
	now      func() time.Time
	router   chi.Router
	jobs     *jobs
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("api: Config.Store is required")
	case cfg.Keys == nil:
		return nil, errors.New("api: Config.Keys is required")
	case cfg.Idempotency == nil:
		return nil, errors.New("api: Config.Idempotency is required")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:      cfg,
		store:    cfg.Store,
		keys:     cfg.Keys,
		idem:     cfg.Idempotency,
		inflight: inFlight{keys: map[string]struct{}{}},
		limits:   newLimiters(cfg.RateLimit),
		metrics:  newMetrics(cfg.Queue, cfg.Collectors),
		log:      cfg.Logger,
		now:      cfg.Now,
	}
	var err error
	if s.jobs, err = newJobs(cfg.Backtests, cfg.Logger, cfg.Now()); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s.router = s.routes()
	return s, nil
}

// Close stops the server's background jobs (backtests) and waits for
// them; it does not close the parts the Config lent it.
func (s *Server) Close() { s.jobs.close() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Router exposes the routes, for tests that walk them.
func (s *Server) Router() chi.Router { return s.router }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.metrics.instrument, s.recoverer, s.timeout)
	r.NotFound(s.keyedUnderV1(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, newProblem(http.StatusNotFound, CodeRouteNotFound, "", "no route "+r.URL.Path))
	}))
	r.MethodNotAllowed(s.keyedUnderV1(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", s.allowed(r.URL.Path))
		writeProblem(w, newProblem(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "", r.Method+" is not allowed on "+r.URL.Path))
	}))
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.handler())
	r.Get("/openapi.json", serveOpenAPI)

	// The /v1 routes are registered with their full paths in groups of
	// the root router rather than on a router mounted at /v1: a mounted
	// router routes every request a second time and copies the request
	// for its wildcard, which a recommendation paid on every call. Paths
	// and methods under /v1 that match no route still ask for a key
	// first (keyedUnderV1).
	r.Group(func(r chi.Router) {
		r.Use(s.v1Guard()...)
		r.Group(func(r chi.Router) {
			r.Use(limitBody(MaxBodyBytes), s.idempotent)
			s.mountRecommendations(r)
			s.mountPresets(r)
			s.mountProducts(r)
			s.mountSettings(r)
			s.mountLedger(r)
			s.mountInvoices(r)
			s.mountSubscriptions(r)
			s.mountBacktests(r)
			s.mountAnalytics(r)
			s.mountEvents(r)
		})
		r.Group(func(r chi.Router) {
			r.Use(limitBody(MaxImportBytes), s.idempotent)
			s.mountImport(r)
		})
	})
	return r
}

// v1Guard is what every request under /v1 passes before its handler:
// authentication, the rate limit and the default scope of its method.
func (s *Server) v1Guard() chi.Middlewares {
	return chi.Middlewares{s.authenticate, s.rateLimited, defaultScope}
}

// keyedUnderV1 puts the /v1 guard in front of h (a not-found or
// method-not-allowed answer) for paths under /v1, so that a request there
// without a key is 401 whatever its path or method, as on the routes
// themselves.
func (s *Server) keyedUnderV1(h http.HandlerFunc) http.HandlerFunc {
	keyed := s.v1Guard().HandlerFunc(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/v1" || strings.HasPrefix(p, "/v1/") {
			keyed.ServeHTTP(w, r)
			return
		}
		h(w, r)
	}
}

// standardMethods are the methods of RFC 9110 and PATCH (RFC 5789), in
// the order an Allow header lists them.
var standardMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

// allowed is the Allow header of a 405 on path (RFC 9110 §15.5.6 requires
// one): the standard methods that the router has a route for on path, as
// chi's own 405 handler lists them, which the custom handler replaces.
// Empty when the path has none, which means that no method is allowed.
func (s *Server) allowed(path string) string {
	var methods []string
	for _, m := range standardMethods {
		if s.router.Match(chi.NewRouteContext(), m, path) {
			methods = append(methods, m)
		}
	}
	return strings.Join(methods, ", ")
}

// handlerFunc is a handler that returns its failure; handle writes it as a
// problem, so every error path answers problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p := asProblem(err)
			if p.Status >= 500 {
				s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeProblem(w, p)
		}
	}
}

// writeJSON sends v with status, followed by a newline. The body is
// encoded into a pooled buffer and written once.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	buf := getBuffer()
	defer putBuffer(buf)
	if err := encode(buf, v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	// The length is known: sent, it spares both ends the chunked
	// encoding that a body over the server's buffer would otherwise get.
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func notConfigured(what string) *Problem {
	return newProblem(http.StatusNotImplemented, CodeFeatureNotConfigured, "", what+" is not configured on this server")
}
