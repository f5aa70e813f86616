package api

import (
	"math"
	"net/http"
	"sync"

	"golang.org/x/time/rate"
)

// RateLimit is a token bucket per API key: PerSecond requests on average,
// bursts of up to Burst. A zero PerSecond disables limiting.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// DefaultRateLimit suits one billing system sending its traffic.
var DefaultRateLimit = RateLimit{PerSecond: 200, Burst: 400}

type limiters struct {
	cfg RateLimit
	mu  sync.Mutex
	m   map[string]*rate.Limiter // by key ID: bounded by the configured keys
}

func (l *limiters) get(id string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[id]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)
		l.m[id] = lim
	}
	return lim
}

// rateLimited answers 429 with Retry-After when the caller's bucket is
// empty. It runs after authentication, so it limits keys, not addresses.
func (s *Server) rateLimited(next http.Handler) http.Handler {
	if s.limits.cfg.PerSecond <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lim := s.limits.get(principalFrom(r.Context()).KeyID)
		res := lim.ReserveN(s.now(), 1)
		if d := res.DelayFrom(s.now()); !res.OK() || d > 0 {
			res.Cancel()
			p := newProblem(http.StatusTooManyRequests, CodeRateLimited, "", "too many requests for this API key; retry after the time in Retry-After")
			p.retryAfter = int(math.Max(1, math.Ceil(d.Seconds())))
			writeProblem(w, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func newLimiters(cfg RateLimit) *limiters {
	return &limiters{cfg: cfg, m: map[string]*rate.Limiter{}}
}
