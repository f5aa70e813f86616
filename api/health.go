package api

import (
	"net/http"
)

// healthz says the process is up; it touches nothing, so it is also the
// baseline of the recommendation benchmark.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyz says whether reads are current: the store is open and the
// projections have caught up with the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			writeProblem(w, newProblem(http.StatusServiceUnavailable, CodeNotReady, "", err.Error()))
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}
