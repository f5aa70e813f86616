package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/domain"
)

// Product is a product as the API shows it, with the dunning preset it
// chose (null: the account default) and the one that applies.
type Product struct {
	Object              string  `json:"object"`
	ID                  string  `json:"id"`
	Name                string  `json:"name"`
	DunningPreset       *string `json:"dunning_preset"`
	EffectivePresetID   string  `json:"effective_dunning_preset"`
	EffectivePresetName string  `json:"effective_dunning_preset_name"`
	Version             int     `json:"version"`
}

type productCreate struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

func (p *productCreate) validate() []FieldError {
	var f fields
	f.optionalID("id", p.ID)
	f.required("name", p.Name)
	return f
}

// presetAssignment chooses a product's preset; null returns it to the
// account default.
type presetAssignment struct {
	PresetID *string `json:"preset_id"`
}

func (a *presetAssignment) validate() []FieldError {
	var f fields
	if a.PresetID != nil {
		f.id("preset_id", *a.PresetID)
	}
	return f
}

func (s *Server) mountProducts(r chi.Router) {
	r.Post("/v1/products", s.handle(s.createProduct))
	r.Get("/v1/products/{id}", s.handle(s.getProduct))
	r.Post("/v1/products/{id}/dunning_preset", s.handle(s.assignPreset))
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) error {
	var c productCreate
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	id := c.ID
	if id == "" {
		id = newID(r.Context(), "prod_")
	}
	err := s.execute(r.Context(), domain.ProductStream(id), func(h history) ([]domain.Event, error) {
		return domain.RebuildProduct(h.events).Create(id, c.Name, s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writeProduct(w, r, id, http.StatusCreated)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) error {
	return s.writeProduct(w, r, chi.URLParam(r, "id"), http.StatusOK)
}

func (s *Server) assignPreset(w http.ResponseWriter, r *http.Request) error {
	var a presetAssignment
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	var preset *domain.Preset
	if a.PresetID != nil {
		var err error
		if preset, err = s.preset(r.Context(), *a.PresetID); err != nil {
			return err
		}
	}
	err := s.execute(r.Context(), domain.ProductStream(id), func(h history) ([]domain.Event, error) {
		p := domain.RebuildProduct(h.events)
		if preset == nil {
			return p.UseDefault(s.now().UTC())
		}
		return p.AssignPreset(preset, s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writeProduct(w, r, id, http.StatusOK)
}

func (s *Server) writeProduct(w http.ResponseWriter, r *http.Request, id string, status int) error {
	h, err := readHistory(r.Context(), s.store, domain.ProductStream(id))
	if err != nil {
		return err
	}
	p := domain.RebuildProduct(h.events)
	if !p.Exists() {
		return notFound("id", "no product "+id)
	}
	settings, err := s.settings(r.Context())
	if err != nil {
		return err
	}
	lookup := func(pid string) (*domain.Preset, bool) {
		pr, err := s.preset(r.Context(), pid)
		return pr, err == nil && pr.Exists()
	}
	effID, effSpec := domain.ResolvePreset(p, settings, lookup)
	v := Product{Object: "product", ID: p.ID, Name: p.Name, EffectivePresetID: effID, EffectivePresetName: effSpec.Name, Version: p.Version}
	if p.PresetID != "" {
		v.DunningPreset = &p.PresetID
	}
	return writeJSON(w, status, v)
}
