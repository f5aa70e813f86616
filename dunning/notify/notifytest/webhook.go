package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/dunning/notify"
)

// Delivery is one webhook the receiver accepted after verifying it.
type Delivery struct {
	Event notify.Event
	Body  []byte
}

// Receiver is an httptest.Server that verifies Recoup-Signature with its
// secret and records every verified event. Deliveries with a bad
// signature are answered 400 and counted in Rejected.
type Receiver struct {
	URL    string
	Secret []byte

	mu       sync.Mutex
	got      []Delivery
	rejected int
	failNext int
	requests int
}

// NewReceiver starts a receiver that the test's cleanup stops.
func NewReceiver(t testing.TB, secret []byte) *Receiver {
	t.Helper()
	r := &Receiver{Secret: secret}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks"
	return r
}

// FailNext makes the next n deliveries answer 503.
func (r *Receiver) FailNext(n int) {
	r.mu.Lock()
	r.failNext = n
	r.mu.Unlock()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if err := notify.Verify(req.Header.Get(notify.SignatureHeader), body, r.Secret, notify.DefaultTolerance, time.Now()); err != nil {
		r.rejected++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.failNext > 0 {
		r.failNext--
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	var ev notify.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.rejected++
		http.Error(w, "json", http.StatusBadRequest)
		return
	}
	r.got = append(r.got, Delivery{Event: ev, Body: body})
	w.WriteHeader(http.StatusOK)
}

// Deliveries returns a copy of the verified deliveries in arrival order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Rejected counts deliveries whose signature or body failed verification.
func (r *Receiver) Rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rejected
}

// Requests counts every request, failed or not.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}
