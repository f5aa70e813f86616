package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/domain"
)

// CollectionSettings are the account's automatic-collection settings as
// the API shows them, with the default dunning preset.
type CollectionSettings struct {
	Object string `json:"object"`
	domain.CollectionSettings
	DefaultPreset string `json:"default_dunning_preset"`
	Version       int    `json:"version"`
}

// settingsFields are the writable settings; nil leaves a field as it is.
type settingsFields struct {
	FailedPaymentEmails    *bool  `json:"failed_payment_emails,omitempty"`
	EmailFinalizedInvoices *bool  `json:"email_finalized_invoices,omitempty"`
	RemindBeforeDueDays    *[]int `json:"remind_before_due_days,omitempty"`
	RemindOnDue            *bool  `json:"remind_on_due,omitempty"`
	RemindAfterDueDays     *[]int `json:"remind_after_due_days,omitempty"`
	UncollectibleAfterDays *int   `json:"uncollectible_after_days,omitempty"`
	AutoReconcileThreshold *int64 `json:"auto_reconcile_threshold,omitempty"`
}

func (f *settingsFields) apply(c domain.CollectionSettings) domain.CollectionSettings {
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setB(&c.FailedPaymentEmails, f.FailedPaymentEmails)
	setB(&c.EmailFinalizedInvoices, f.EmailFinalizedInvoices)
	setB(&c.RemindOnDue, f.RemindOnDue)
	if f.RemindBeforeDueDays != nil {
		c.RemindBeforeDueDays = append([]int(nil), *f.RemindBeforeDueDays...)
	}
	if f.RemindAfterDueDays != nil {
		c.RemindAfterDueDays = append([]int(nil), *f.RemindAfterDueDays...)
	}
	if f.UncollectibleAfterDays != nil {
		c.UncollectibleAfterDays = *f.UncollectibleAfterDays
	}
	if f.AutoReconcileThreshold != nil {
		c.AutoReconcileThreshold = *f.AutoReconcileThreshold
	}
	return c
}

func (s *Server) mountSettings(r chi.Router) {
	r.With(require(ScopeAdmin)).Get("/v1/collection_settings", s.handle(s.getSettings))
	r.With(require(ScopeAdmin)).Post("/v1/collection_settings", s.handle(s.updateSettings))
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) error {
	return s.writeSettings(w, r, http.StatusOK)
}

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) error {
	var f settingsFields
	if err := decodeJSON(r, &f); err != nil {
		return err
	}
	err := s.execute(r.Context(), domain.SettingsStream, func(h history) ([]domain.Event, error) {
		st := domain.RebuildSettings(h.events)
		return st.ChangeCollection(f.apply(st.Collection), s.now().UTC())
	})
	if err != nil {
		return err
	}
	return s.writeSettings(w, r, http.StatusOK)
}

func (s *Server) writeSettings(w http.ResponseWriter, r *http.Request, status int) error {
	st, err := s.settings(r.Context())
	if err != nil {
		return err
	}
	def := st.DefaultPresetID
	if def == "" {
		def = domain.BuiltinDefaultPresetID
	}
	return writeJSON(w, status, CollectionSettings{Object: "collection_settings", CollectionSettings: st.Collection,
		DefaultPreset: def, Version: st.Version})
}
