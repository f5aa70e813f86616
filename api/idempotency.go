package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// MaxIdempotencyKeyLength is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLength = 255

// inFlight tracks keys whose first request is still running. It lives in
// memory only: a request that was running when the process stopped never
// answered, so after a restart its key is free to run again.
type inFlight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

func (f *inFlight) begin(k string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, busy := f.keys[k]; busy {
		return false
	}
	f.keys[k] = struct{}{}
	return true
}

func (f *inFlight) end(k string) {
	f.mu.Lock()
	delete(f.keys, k)
	f.mu.Unlock()
}

// idempotent implements the Idempotency-Key header on POST: the first
// response is remembered (per API key) and replayed with
// Idempotent-Replayed: true; the same key with another request is 409
// idempotency_key_reused; a replay while the first is running is 409
// idempotency_request_in_progress. Responses that executed nothing (400
// validation failures, 5xx) are not remembered, as with Stripe, so a
// corrected or retried request may reuse the key.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > MaxIdempotencyKeyLength {
			writeProblem(w, badRequest(CodeIdempotencyKeyBad, "Idempotency-Key",
				fmt.Sprintf("must be at most %d characters, got %d", MaxIdempotencyKeyLength, len(key))))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeProblem(w, asBodyProblem(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		fp := fingerprint(r, body)
		scope := principalFrom(r.Context()).KeyID
		slot := scope + "\x00" + key
		if !s.inflight.begin(slot) {
			writeProblem(w, newProblem(http.StatusConflict, CodeIdempotencyInFlight, "Idempotency-Key",
				"a request with this key is still being processed; retry after it completes"))
			return
		}
		defer s.inflight.end(slot)

		prev, err := s.idem.get(scope, key)
		if err != nil {
			s.log.Error("idempotency lookup", "err", err)
			writeProblem(w, newProblem(http.StatusServiceUnavailable, CodeUnavailable, "", "the idempotency store is unavailable"))
			return
		}
		if prev != nil {
			if prev.Fingerprint != fp {
				writeProblem(w, newProblem(http.StatusConflict, CodeIdempotencyReused, "Idempotency-Key",
					"this key was already used with a different request; use a new key for a new request"))
				return
			}
			for k, v := range prev.Header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prev.Status)
			_, _ = w.Write(prev.Body)
			return
		}

		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r.WithContext(withIdempotencyKey(r.Context(), key)))
		if remember(rec.status) {
			stored := &storedResponse{Fingerprint: fp, Status: rec.status, Header: map[string]string{}, Body: rec.body.Bytes(), Created: s.now()}
			for _, h := range []string{"Content-Type", "Location"} {
				if v := rec.header.Get(h); v != "" {
					stored.Header[h] = v
				}
			}
			if err := s.idem.put(scope, key, stored); err != nil {
				// The work is done but cannot be remembered: say so rather
				// than promise a replay that would run it again.
				s.log.Error("idempotency store", "err", err)
			}
		}
		rec.flushTo(w)
	})
}

func remember(status int) bool {
	return status < 500 && status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge &&
		status != http.StatusUnsupportedMediaType && status != http.StatusTooManyRequests
}

// fingerprint identifies a request by method, path and body.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", r.Method, r.URL.Path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// recorder buffers a response so that it can be remembered before it is
// sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) flushTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
