package api

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"
)

// errDeadline is the request timeout as handlers see it.
var errDeadline = context.DeadlineExceeded

// timeout gives every request a deadline; handlers pass the context to
// the store and planners, which stop when it ends.
func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// recoverer turns a handler panic into a logged 500 problem instead of a
// dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeProblem(w, newProblem(http.StatusInternalServerError, CodeInternal, "", "an internal error occurred; it has been logged"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps the request body at n bytes.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				writeProblem(w, asBodyProblem(&http.MaxBytesError{Limit: n}))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// asBodyProblem names a failure to read the body.
func asBodyProblem(err error) *Problem {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newProblem(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "",
			"the body exceeds the limit of "+humanBytes(mbe.Limit))
	}
	return badRequest(CodeInvalidJSON, "", "the body could not be read: "+err.Error())
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

type idemCtxKey struct{}

func withIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemCtxKey{}, key)
}

// idempotencyKey returns the request's Idempotency-Key, if any.
func idempotencyKey(ctx context.Context) string {
	k, _ := ctx.Value(idemCtxKey{}).(string)
	return k
}
