package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server timeouts. Writes get more than the request timeout so that a
// timed-out handler can still send its problem document.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 60 * time.Second // bulk imports stream large bodies
	WriteTimeout      = DefaultRequestTimeout + 15*time.Second
	IdleTimeout       = 2 * time.Minute
	// ShutdownGrace is how long a shutdown waits for in-flight requests
	// (and so their appends) to finish.
	ShutdownGrace = 30 * time.Second
)

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets in-flight requests finish (their appends are
// completed, not cut), and returns. Request contexts are not derived from
// ctx, so stopping does not cancel work already accepted.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}
