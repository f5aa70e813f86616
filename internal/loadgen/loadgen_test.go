package loadgen

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsEveryResponse(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(time.Millisecond)
	}))
	defer srv.Close()
	st, err := Run(t.Context(), Request{Method: "GET", URL: srv.URL, Want: 200}, 4, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests == 0 || int64(st.Requests) > served.Load() || st.P50 < time.Millisecond || st.P99 < st.P50 {
		t.Fatalf("stats %+v, served %d", st, served.Load())
	}
}

func TestRunStopsOnWrongStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	_, err := Run(t.Context(), Request{Method: "GET", URL: srv.URL, Want: 200}, 2, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "status 500") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunAtOffersTheRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	st, err := RunAt(t.Context(), Request{Method: "GET", URL: srv.URL, Want: 200}, 4, time.Second, 200)
	if err != nil {
		t.Fatal(err)
	}
	if st.RPS < 150 || st.RPS > 230 {
		t.Fatalf("offered 200/s, measured %+v", st)
	}
}

func TestRunCyclesBodies(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
	}))
	defer srv.Close()
	bodies := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	if _, err := Run(t.Context(), Request{Method: "POST", URL: srv.URL, Bodies: bodies, Want: 200}, 2, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if seen[string(b)] == 0 {
			t.Fatalf("body %q never sent (seen %v)", b, seen)
		}
	}
	if len(seen) != len(bodies) {
		t.Fatalf("seen %v, want only %q", seen, bodies)
	}
}

func TestMergeAddsRunsUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var runs []Stats
	for range 3 {
		st, err := Run(t.Context(), Request{Method: "GET", URL: srv.URL, Want: 200}, 2, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, st)
	}
	m := Merge(runs...)
	want := runs[0].Requests + runs[1].Requests + runs[2].Requests
	if m.Requests != want || m.Elapsed != 600*time.Millisecond || m.RPS != float64(want)/0.6 {
		t.Fatalf("merged %+v from %+v", m, runs)
	}
	if len(m.lat) != want || !slices.IsSorted(m.lat) || m.P50 != m.lat[want/2] || m.P99 != m.lat[want*99/100] {
		t.Fatalf("merged p50 %v p99 %v are not the percentiles of the %d latencies", m.P50, m.P99, len(m.lat))
	}
}
