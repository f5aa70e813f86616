// Package loadgen drives an HTTP endpoint from a fixed number of
// concurrent connections for a fixed time and reports throughput and
// latency percentiles. It is the in-process load generator of the API
// benchmark: the server and the generator share the machine, so a figure
// is only meaningful beside a baseline measured the same way in the same
// run.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Request is what every connection sends, again and again.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Bodies, when not empty, replace Body: the connections take them in
	// turn (connection i starts at body i), so a server sees varied
	// requests rather than one repeated body it could answer from a
	// cache.
	Bodies [][]byte
	// Want is the status every response must have.
	Want int
}

// Stats summarises a run.
type Stats struct {
	Requests int
	Elapsed  time.Duration
	RPS      float64
	P50, P99 time.Duration

	lat []time.Duration // sorted, for Merge
}

// Merge combines runs of the same request into one summary: requests and
// time add up, and the percentiles are over every latency. Alternating
// short runs of two requests and merging each one's runs compares them
// under the same background load, which sequential long runs on a shared
// machine do not.
func Merge(runs ...Stats) Stats {
	var out Stats
	for _, r := range runs {
		out.Requests += r.Requests
		out.Elapsed += r.Elapsed
		out.lat = append(out.lat, r.lat...)
	}
	if out.Elapsed > 0 {
		out.RPS = float64(out.Requests) / out.Elapsed.Seconds()
	}
	if len(out.lat) > 0 {
		slices.Sort(out.lat)
		out.P50, out.P99 = percentiles(out.lat)
	}
	return out
}

// percentiles of sorted latencies.
func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
}

func (s Stats) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f/s, p50 %s, p99 %s", s.Requests, s.Elapsed.Round(time.Millisecond), s.RPS, s.P50, s.P99)
}

// Run sends req from conns goroutines, each over its own keep-alive
// connection, as fast as answers come back (closed loop: the throughput
// figure), for d after a short warm-up that is not counted. The first
// unexpected status or transport error stops the run.
func Run(ctx context.Context, req Request, conns int, d time.Duration) (Stats, error) {
	return run(ctx, req, conns, d, 0)
}

// RunAt offers req at a fixed rate (requests per second) spread over
// conns connections (open loop: the latency figure at a given load).
// Latency counts from each request's scheduled time, so a stalled server
// is not hidden by requests it delayed.
func RunAt(ctx context.Context, req Request, conns int, d time.Duration, rate float64) (Stats, error) {
	if rate <= 0 {
		return Stats{}, fmt.Errorf("loadgen: rate %v must be positive", rate)
	}
	return run(ctx, req, conns, d, rate)
}

func run(ctx context.Context, req Request, conns int, d time.Duration, rate float64) (Stats, error) {
	tr := &http.Transport{MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns, MaxIdleConns: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	warm := min(d/5, time.Second)
	start := time.Now()
	measureFrom, stopAt := start.Add(warm), start.Add(warm+d)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var every time.Duration
			var first time.Time
			if rate > 0 {
				every = time.Duration(float64(conns) / rate * float64(time.Second))
				first = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			}
			lat[i], errs[i] = loop(ctx, client, req, i, measureFrom, stopAt, first, every)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Stats{}, err
		}
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return Stats{}, fmt.Errorf("loadgen: no request completed in %s", d)
	}
	slices.Sort(all)
	p50, p99 := percentiles(all)
	return Stats{Requests: len(all), Elapsed: d, RPS: float64(len(all)) / d.Seconds(), P50: p50, P99: p99, lat: all}, nil
}

// loop sends until until; with every > 0 the k-th request is scheduled
// at first + k*every and waits for its time.
func loop(ctx context.Context, client *http.Client, req Request, conn int, from, until, first time.Time, every time.Duration) ([]time.Duration, error) {
	var out []time.Duration
	for k := 0; ; k++ {
		body := req.Body
		if len(req.Bodies) > 0 {
			body = req.Bodies[(conn+k)%len(req.Bodies)]
		}
		t0 := time.Now()
		if every > 0 {
			t0 = first.Add(time.Duration(k) * every)
			if wait := time.Until(t0); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return out, nil
				}
			}
		}
		if !t0.Before(until) || ctx.Err() != nil {
			return out, nil
		}
		hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for k, v := range req.Header {
			hr.Header[k] = v
		}
		res, err := client.Do(hr)
		if err != nil {
			if ctx.Err() != nil {
				return out, nil
			}
			return nil, fmt.Errorf("loadgen: %s %s: %w", req.Method, req.URL, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != req.Want {
			return nil, fmt.Errorf("loadgen: %s %s: status %d, want %d", req.Method, req.URL, res.StatusCode, req.Want)
		}
		if t0.After(from) {
			out = append(out, time.Since(t0))
		}
	}
}
