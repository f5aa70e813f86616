package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Backtest is a backtest job as the API shows it: progress while it runs,
// then the result (or the error).
type Backtest struct {
	Object    string             `json:"object"`
	ID        string             `json:"id"`
	Status    string             `json:"status"` // queued, running, succeeded, failed
	Progress  BacktestProgress   `json:"progress"`
	Candidate domain.PresetSpec  `json:"candidate"`
	Baseline  *domain.PresetSpec `json:"baseline"`
	Created   time.Time          `json:"created"`
	Finished  *time.Time         `json:"finished"`
	Result    *backtest.Result   `json:"result"`
	Error     *string            `json:"error"`
}

// BacktestProgress says how far a job got: reading the ledger, then
// estimating each failed invoice.
type BacktestProgress struct {
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// Backtest limits.
const (
	maxBacktestJobs       = 100
	defaultBootstrap      = 500
	maxBootstrap          = 5000
	defaultModelRefits    = 20
	maxModelRefits        = 50
	backtestPhaseLedger   = "reading_ledger"
	backtestPhaseEstimate = "estimating"
)

type backtestRequest struct {
	Candidate         *presetFields `json:"candidate,omitempty"`
	CandidatePresetID string        `json:"candidate_preset_id,omitempty"`
	Baseline          *presetFields `json:"baseline,omitempty"`
	BaselinePresetID  string        `json:"baseline_preset_id,omitempty"`
	Bootstrap         *int          `json:"bootstrap,omitempty"`
	ModelRefits       *int          `json:"model_refits,omitempty"`
	Seed              uint64        `json:"seed,omitempty"`
}

func (q *backtestRequest) validate() []FieldError {
	var f fields
	switch {
	case q.Candidate == nil && q.CandidatePresetID == "":
		f.add("candidate", CodeRequired, "send candidate (a preset's fields) or candidate_preset_id")
	case q.Candidate != nil && q.CandidatePresetID != "":
		f.add("candidate_preset_id", "mutually_exclusive", "send either candidate or candidate_preset_id")
	}
	if q.Baseline != nil && q.BaselinePresetID != "" {
		f.add("baseline_preset_id", "mutually_exclusive", "send either baseline or baseline_preset_id")
	}
	if q.Bootstrap != nil {
		f.between("bootstrap", *q.Bootstrap, 100, maxBootstrap)
	}
	if q.ModelRefits != nil {
		f.between("model_refits", *q.ModelRefits, 0, maxModelRefits)
	}
	return f
}

// jobs runs backtests one at a time (each uses every core it is given)
// under the server's lifetime: close cancels them and waits. With a store,
// every state change is persisted before it is shown, and jobs outlive
// the server.
type jobs struct {
	mu    sync.Mutex
	byID  map[string]*job
	order []string
	slot  chan struct{}
	wg    sync.WaitGroup
	ctx   context.Context
	stop  context.CancelFunc
	store *BacktestStore // nil keeps jobs in memory only
	log   *slog.Logger
}

type job struct {
	mu   sync.Mutex
	view Backtest
	js   *jobs
}

// interruptedMsg is the error of a job the server stopped before it
// finished (shutdown, or a crash found at the next start).
const interruptedMsg = "interrupted: the server stopped before this backtest finished; start it again"

// newJobs opens the job list, reloading stored jobs. A job stored as
// queued or running was cut short by a stop the server did not survive
// (a crash, a kill): it is reported failed as interrupted, at now, and
// never resumed, because the ledger and model it would see may have
// changed and the crash may have been the job's own doing.
func newJobs(store *BacktestStore, log *slog.Logger, now time.Time) (*jobs, error) {
	ctx, stop := context.WithCancel(context.Background())
	j := &jobs{byID: map[string]*job{}, slot: make(chan struct{}, 1), ctx: ctx, stop: stop, store: store, log: log}
	if store == nil {
		return j, nil
	}
	stored, err := store.load()
	if err != nil {
		stop()
		return nil, err
	}
	for _, v := range stored {
		if v.Finished == nil {
			t := now.UTC()
			msg := interruptedMsg
			v.Status, v.Finished, v.Error = "failed", &t, &msg
			if err := store.put(&v); err != nil {
				stop()
				return nil, err
			}
		}
		j.byID[v.ID] = &job{view: v, js: j}
		j.order = append(j.order, v.ID)
	}
	return j, nil
}

func (j *jobs) close() {
	j.stop()
	j.wg.Wait()
}

// persist writes a job's view, if the jobs have a store. A failed write
// after the job started is logged, not fatal: the job's answer is still
// served from memory until the server stops.
func (j *jobs) persist(v *Backtest) error {
	if j.store == nil {
		return nil
	}
	return j.store.put(v)
}

func (s *Server) mountBacktests(r chi.Router) {
	r.Post("/v1/backtests", s.handle(s.createBacktest))
	r.Get("/v1/backtests/{id}", s.handle(s.getBacktest))
}

func (s *Server) createBacktest(w http.ResponseWriter, r *http.Request) error {
	var req backtestRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	cand, base, err := s.backtestPresets(r.Context(), &req)
	if err != nil {
		return err
	}
	if s.cfg.Model == nil {
		return notConfigured("the retry model")
	}
	boot := defaultBootstrap
	if req.Bootstrap != nil {
		boot = *req.Bootstrap
	}
	jb := &job{js: s.jobs, view: Backtest{Object: "backtest", ID: newID(r.Context(), "bt_"), Status: "queued",
		Candidate: cand, Baseline: base, Created: s.now().UTC()}}
	if err := s.jobs.persist(&jb.view); err != nil {
		return err
	}
	s.jobs.add(jb)
	refits := defaultModelRefits
	if req.ModelRefits != nil {
		refits = *req.ModelRefits
	}
	cfg := backtest.Config{Scorer: s.cfg.Model, Rules: smartretry.NetworkRules, Candidate: cand, Baseline: base,
		Bootstrap: boot, Seed: req.Seed, Refits: refits}
	// A smart candidate plans as the server does: the served planner's
	// family and objective, rebuilt over each refit of the models.
	switch p := s.cfg.Recommender.(type) {
	case *smartretry.MixturePlanner:
		cfg.Mixture, cfg.Planner = p.M, backtest.ShippedPlanner(p.Objective, smartretry.NetworkRules)
	case *smartretry.Planner:
		cfg.Planner = backtest.ShippedPlanner(p.Objective, smartretry.NetworkRules)
	}
	s.jobs.wg.Add(1)
	go s.runBacktest(jb, cfg)
	w.Header().Set("Location", "/v1/backtests/"+jb.view.ID)
	return writeJSON(w, http.StatusAccepted, jb.snapshot())
}

// backtestPresets resolves the candidate and baseline specs, checking
// inline ones with the domain's preset rules.
func (s *Server) backtestPresets(ctx context.Context, req *backtestRequest) (domain.PresetSpec, *domain.PresetSpec, error) {
	spec := func(inline *presetFields, id, param string) (*domain.PresetSpec, error) {
		if inline != nil {
			sp := inline.apply(domain.PresetSpec{RetriesEnabled: true, Name: param})
			if err := sp.Validate(); err != nil {
				var ve *domain.ValidationError
				if errors.As(err, &ve) {
					return nil, ve.Prefixed(param)
				}
				return nil, err
			}
			return &sp, nil
		}
		if id == "" {
			return nil, nil
		}
		if id == domain.BuiltinDefaultPresetID {
			sp := domain.DefaultPresetSpec()
			return &sp, nil
		}
		p, err := s.preset(ctx, id)
		if err != nil {
			return nil, err
		}
		if !p.Exists() {
			return nil, notFound(param+"_preset_id", "no dunning preset "+id)
		}
		return &p.Spec, nil
	}
	cand, err := spec(req.Candidate, req.CandidatePresetID, "candidate")
	if err != nil {
		return domain.PresetSpec{}, nil, err
	}
	base, err := spec(req.Baseline, req.BaselinePresetID, "baseline")
	if err != nil {
		return domain.PresetSpec{}, nil, err
	}
	return *cand, base, nil
}

func (s *Server) runBacktest(jb *job, cfg backtest.Config) {
	defer s.jobs.wg.Done()
	ctx := s.jobs.ctx
	select {
	case s.jobs.slot <- struct{}{}:
		defer func() { <-s.jobs.slot }()
	case <-ctx.Done():
		jb.finish(s.now(), nil, ctx.Err())
		return
	}
	jb.update(true, func(v *Backtest) { v.Status, v.Progress.Phase = "running", backtestPhaseLedger })
	ledger, err := smartretry.ScanLedger(ctx, s.store, func(n int) {
		jb.update(false, func(v *Backtest) { v.Progress.Done = n })
	})
	if err != nil {
		jb.finish(s.now(), nil, err)
		return
	}
	cfg.Ledger = ledger
	cfg.Progress = func(done, total int) {
		jb.update(done == 1, func(v *Backtest) {
			v.Progress = BacktestProgress{Phase: backtestPhaseEstimate, Done: done, Total: total}
		})
	}
	res, err := backtest.Run(ctx, cfg)
	jb.finish(s.now(), &res, err)
}

// update changes the job's view; durable changes (status and phase) are
// persisted, progress ticks only shown.
func (j *job) update(durable bool, f func(*Backtest)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(&j.view)
	if durable {
		if err := j.js.persist(&j.view); err != nil {
			j.js.log.Error("backtest job not persisted", "id", j.view.ID, "err", err)
		}
	}
}

// finish records the result or the error; a job cut short by the server
// stopping says so.
func (j *job) finish(now time.Time, res *backtest.Result, err error) {
	j.update(true, func(v *Backtest) {
		t := now.UTC()
		v.Finished = &t
		if err != nil {
			v.Status = "failed"
			msg := err.Error()
			if errors.Is(err, context.Canceled) && j.js.ctx.Err() != nil {
				msg = interruptedMsg
			}
			v.Error = &msg
			return
		}
		v.Status, v.Result = "succeeded", res
	})
}

func (j *job) snapshot() Backtest {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.view
}

// add keeps at most maxBacktestJobs, forgetting the oldest finished ones.
func (j *jobs) add(jb *job) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.byID[jb.view.ID] = jb
	j.order = append(j.order, jb.view.ID)
	for len(j.order) > maxBacktestJobs {
		old := j.byID[j.order[0]]
		if old.snapshot().Finished == nil {
			break
		}
		if j.store != nil {
			if err := j.store.remove(j.order[0]); err != nil {
				j.log.Error("forgotten backtest job not deleted", "id", j.order[0], "err", err)
				break
			}
		}
		delete(j.byID, j.order[0])
		j.order = j.order[1:]
	}
}

func (s *Server) getBacktest(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	s.jobs.mu.Lock()
	jb, ok := s.jobs.byID[id]
	s.jobs.mu.Unlock()
	if !ok {
		return notFound("id", fmt.Sprintf("no backtest %s (the server keeps the latest %d jobs)", id, maxBacktestJobs))
	}
	return writeJSON(w, http.StatusOK, jb.snapshot())
}
