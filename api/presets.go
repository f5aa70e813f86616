package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/domain"
)

// Preset is a dunning preset as the API shows it: its spec, flattened,
// with its state.
type Preset struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	domain.PresetSpec
	Archived  bool `json:"archived"`
	IsDefault bool `json:"is_default"`
}

// presetFields are the writable fields of a preset; a nil field is left
// as it is (update) or unset (create).
type presetFields struct {
	ID                       *string `json:"id,omitempty"`
	Name                     *string `json:"name,omitempty"`
	RetriesEnabled           *bool   `json:"retries_enabled,omitempty"`
	SmartRetries             *bool   `json:"smart_retries,omitempty"`
	SmartMaxRetries          *int    `json:"smart_max_retries,omitempty"`
	SmartWindowDays          *int    `json:"smart_window_days,omitempty"`
	Schedule                 *[]int  `json:"schedule,omitempty"`
	DuringRecovery           *string `json:"during_recovery,omitempty"`
	AfterFailureSubscription *string `json:"after_failure_subscription,omitempty"`
	AfterFailureInvoice      *string `json:"after_failure_invoice,omitempty"`
	OverdueDays              *int    `json:"overdue_days,omitempty"`

	update bool
}

func (f *presetFields) validate() []FieldError {
	var fe fields
	if f.ID != nil {
		if f.update {
			fe.add("id", "not_allowed", "a preset's id cannot change")
		} else {
			fe.id("id", *f.ID)
		}
	}
	return fe
}

// apply writes the given fields over spec. Turning smart retries on clears
// a manual schedule that was not sent, and sending a schedule turns smart
// retries off unless smart_retries is sent too, so that switching modes
// takes one field; the domain then checks every rule.
func (f *presetFields) apply(spec domain.PresetSpec) domain.PresetSpec {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&spec.Name, f.Name)
	if f.RetriesEnabled != nil {
		spec.RetriesEnabled = *f.RetriesEnabled
	}
	if f.SmartRetries != nil {
		spec.SmartRetries = *f.SmartRetries
		if spec.SmartRetries && f.Schedule == nil {
			spec.Schedule = nil
		}
		if !spec.SmartRetries && f.SmartMaxRetries == nil && f.SmartWindowDays == nil {
			spec.SmartMaxRetries, spec.SmartWindowDays = 0, 0
		}
	}
	if f.Schedule != nil {
		spec.Schedule = append([]int(nil), *f.Schedule...)
		if f.SmartRetries == nil && len(spec.Schedule) > 0 {
			spec.SmartRetries, spec.SmartMaxRetries, spec.SmartWindowDays = false, 0, 0
		}
	}
	if f.SmartMaxRetries != nil {
		spec.SmartMaxRetries = *f.SmartMaxRetries
	}
	if f.SmartWindowDays != nil {
		spec.SmartWindowDays = *f.SmartWindowDays
	}
	if f.DuringRecovery != nil {
		spec.DuringRecovery = domain.DuringRecovery(*f.DuringRecovery)
	}
	if f.AfterFailureSubscription != nil {
		spec.AfterSub = domain.AfterFailureSubscription(*f.AfterFailureSubscription)
	}
	if f.AfterFailureInvoice != nil {
		spec.AfterInvoice = domain.AfterFailureInvoice(*f.AfterFailureInvoice)
		if spec.AfterInvoice != domain.InvoiceLeaveOverdueDays && f.OverdueDays == nil {
			spec.OverdueDays = 0
		}
	}
	if f.OverdueDays != nil {
		spec.OverdueDays = *f.OverdueDays
	}
	return spec
}

func (s *Server) mountPresets(r chi.Router) {
	r.Post("/v1/dunning_presets", s.handle(s.createPreset))
	r.Get("/v1/dunning_presets", s.handle(s.listPresets))
	r.Get("/v1/dunning_presets/{id}", s.handle(s.getPreset))
	r.Post("/v1/dunning_presets/{id}", s.handle(s.updatePreset))
	r.Post("/v1/dunning_presets/{id}/archive", s.handle(s.archivePreset))
	r.Post("/v1/dunning_presets/{id}/mark_default", s.handle(s.markDefaultPreset))
}

func (s *Server) createPreset(w http.ResponseWriter, r *http.Request) error {
	var f presetFields
	if err := decodeJSON(r, &f); err != nil {
		return err
	}
	id := newID(r.Context(), "dp_")
	if f.ID != nil {
		id = *f.ID
	}
	spec := f.apply(domain.PresetSpec{RetriesEnabled: true})
	err := s.execute(r.Context(), domain.PresetStream(id), func(h history) ([]domain.Event, error) {
		return domain.RebuildPreset(h.events).Create(id, spec, s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writePreset(r.Context(), w, id, http.StatusCreated)
}

func (s *Server) getPreset(w http.ResponseWriter, r *http.Request) error {
	return s.writePreset(r.Context(), w, chi.URLParam(r, "id"), http.StatusOK)
}

func (s *Server) updatePreset(w http.ResponseWriter, r *http.Request) error {
	f := presetFields{update: true}
	if err := decodeJSON(r, &f); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	err := s.execute(r.Context(), domain.PresetStream(id), func(h history) ([]domain.Event, error) {
		p := domain.RebuildPreset(h.events)
		return p.Update(f.apply(p.Spec), s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writePreset(r.Context(), w, id, http.StatusOK)
}

func (s *Server) archivePreset(w http.ResponseWriter, r *http.Request) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	settings, err := s.settings(r.Context())
	if err != nil {
		return err
	}
	err = s.execute(r.Context(), domain.PresetStream(id), func(h history) ([]domain.Event, error) {
		return domain.RebuildPreset(h.events).Archive(settings, s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writePreset(r.Context(), w, id, http.StatusOK)
}

func (s *Server) markDefaultPreset(w http.ResponseWriter, r *http.Request) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	preset, err := s.preset(r.Context(), id)
	if err != nil {
		return err
	}
	err = s.execute(r.Context(), domain.SettingsStream, func(h history) ([]domain.Event, error) {
		return domain.RebuildSettings(h.events).MakeDefault(preset, s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writePreset(r.Context(), w, id, http.StatusOK)
}

func (s *Server) preset(ctx context.Context, id string) (*domain.Preset, error) {
	h, err := readHistory(ctx, s.store, domain.PresetStream(id))
	if err != nil {
		return nil, err
	}
	return domain.RebuildPreset(h.events), nil
}

func (s *Server) settings(ctx context.Context) (*domain.Settings, error) {
	h, err := readHistory(ctx, s.store, domain.SettingsStream)
	if err != nil {
		return nil, err
	}
	return domain.RebuildSettings(h.events), nil
}

// writePreset answers with the preset as stored now. The built-in default
// preset ("default") exists without events.
func (s *Server) writePreset(ctx context.Context, w http.ResponseWriter, id string, status int) error {
	settings, err := s.settings(ctx)
	if err != nil {
		return err
	}
	if id == domain.BuiltinDefaultPresetID {
		return writeJSON(w, status, Preset{Object: "dunning_preset", ID: id, PresetSpec: domain.DefaultPresetSpec(),
			IsDefault: settings.DefaultPresetID == ""})
	}
	p, err := s.preset(ctx, id)
	if err != nil {
		return err
	}
	if !p.Exists() {
		return notFound("id", "no dunning preset "+id)
	}
	return writeJSON(w, status, Preset{Object: "dunning_preset", ID: p.ID, PresetSpec: p.Spec, Archived: p.Archived,
		IsDefault: settings.DefaultPresetID == p.ID})
}

// decodeEmpty accepts an action's body when it is empty or {}.
func decodeEmpty(r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	err := decodeJSON(r, &none)
	if p := asProblem(err); err != nil && p.Code == CodeBodyRequired {
		return nil
	}
	return err
}

func (s *Server) listPresets(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	q.only("limit", "starting_after", "ending_before")
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	if s.cfg.ReadModels == nil {
		return notConfigured("the read models")
	}
	acct, err := s.cfg.ReadModels.Account(r.Context())
	if err != nil {
		return err
	}
	l, err := s.cfg.ReadModels.Presets(r.Context(), rmPage(page))
	if err != nil {
		return readProblem(err, "")
	}
	out := make([]Preset, len(l.Data))
	for i, p := range l.Data {
		out[i] = Preset{Object: "dunning_preset", ID: p.ID, PresetSpec: p.Spec, Archived: p.Archived, IsDefault: acct.DefaultPresetID == p.ID}
	}
	return writeJSON(w, http.StatusOK, newList(r.URL.Path, out, l.HasMore))
}
