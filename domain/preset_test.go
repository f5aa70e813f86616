package domain

import (
	"errors"
	"testing"
	"time"
)

func at(d time.Duration) Base { return Base{OccurredAt: t0.Add(d)} }

func manual(gaps ...int) PresetSpec {
	p := DefaultPresetSpec()
	p.Name = "manual"
	p.Schedule = gaps
	return p
}

func smart(maxRetries, window int) PresetSpec {
	p := DefaultPresetSpec()
	p.Name = "smart"
	p.Schedule = nil
	p.SmartRetries, p.SmartMaxRetries, p.SmartWindowDays = true, maxRetries, window
	return p
}

func with(p PresetSpec, f func(*PresetSpec)) PresetSpec { f(&p); return p }

func TestPresetSpecValidate(t *testing.T) {
	tests := []struct {
		name   string
		spec   PresetSpec
		fields []string // nil: valid
	}{
		{"default_preset_is_valid", DefaultPresetSpec(), nil},
		{"one_manual_retry", manual(1), nil},
		{"eight_manual_retries", manual(1, 1, 1, 1, 1, 1, 1, 1), nil},
		{"nine_manual_retries_refused", manual(1, 1, 1, 1, 1, 1, 1, 1, 1), []string{"schedule"}},
		{"gap_under_one_day_refused_with_index", manual(1, 2, 0), []string{"schedule[2]"}},
		{"gap_over_limit_refused", manual(61), []string{"schedule[0]"}},
		{"retries_on_without_schedule_or_smart_refused", manual(), []string{"schedule"}},
		{"smart_and_schedule_mutually_exclusive", with(smart(3, 7), func(p *PresetSpec) { p.Schedule = []int{1} }), []string{"schedule"}},
		{"smart_needs_max_retries_1_to_8", smart(0, 7), []string{"smart_max_retries"}},
		{"smart_max_retries_9_refused", smart(9, 7), []string{"smart_max_retries"}},
		{"smart_needs_a_window", smart(3, 0), []string{"smart_window_days"}},
		{"smart_valid", smart(8, 14), nil},
		{"smart_fields_without_smart_refused", with(manual(1), func(p *PresetSpec) { p.SmartMaxRetries = 3 }), []string{"smart_max_retries"}},
		{"retries_off_needs_no_schedule", with(manual(), func(p *PresetSpec) { p.RetriesEnabled = false }), nil},
		{"leave_overdue_days_needs_n_at_least_1", with(manual(1), func(p *PresetSpec) { p.AfterInvoice = InvoiceLeaveOverdueDays }), []string{"overdue_days"}},
		{"leave_overdue_days_with_n", with(manual(1), func(p *PresetSpec) { p.AfterInvoice, p.OverdueDays = InvoiceLeaveOverdueDays, 5 }), nil},
		{"overdue_days_only_with_leave_overdue_days", with(manual(1), func(p *PresetSpec) { p.OverdueDays = 5 }), []string{"overdue_days"}},
		{"enums_required_and_every_field_reported", PresetSpec{RetriesEnabled: true, Schedule: []int{0}}, []string{"name", "schedule[0]", "during_recovery", "after_failure_subscription", "after_failure_invoice"}},
		{"unknown_enum_values_refused", with(manual(1), func(p *PresetSpec) { p.DuringRecovery, p.AfterSub, p.AfterInvoice = "x", "y", "z" }), []string{"during_recovery", "after_failure_subscription", "after_failure_invoice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("valid spec refused: %v", err)
				}
				return
			}
			checkErr(t, err, ErrValidation, tt.fields)
		})
	}
}

func TestCollectionSettingsValidate(t *testing.T) {
	ok := DefaultCollectionSettings()
	tests := []struct {
		name   string
		s      CollectionSettings
		fields []string
	}{
		{"defaults_valid", ok, nil},
		{"uncollectible_after_30_60_90", CollectionSettings{UncollectibleAfterDays: 90}, nil},
		{"uncollectible_after_45_refused", CollectionSettings{UncollectibleAfterDays: 45}, []string{"uncollectible_after_days"}},
		{"reconcile_threshold_negative_refused", CollectionSettings{AutoReconcileThreshold: -1}, []string{"auto_reconcile_threshold"}},
		{"reminder_days_sane", CollectionSettings{RemindBeforeDueDays: []int{7, 1}, RemindAfterDueDays: []int{3, 14}}, nil},
		{"reminder_day_zero_and_duplicate_refused", CollectionSettings{RemindBeforeDueDays: []int{0, 3, 3}, RemindAfterDueDays: []int{91}}, []string{"remind_before_due_days[0]", "remind_before_due_days[2]", "remind_after_due_days[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("valid settings refused: %v", err)
				}
				return
			}
			checkErr(t, err, ErrValidation, tt.fields)
		})
	}
}

func presetCreated(id string, spec PresetSpec) PresetCreated {
	return PresetCreated{Base: at(0), PresetID: id, Spec: spec}
}

func TestPreset(t *testing.T) {
	runScenarios(t, RebuildPreset, []scenario[*Preset]{
		{name: "create", when: func(p *Preset) ([]Event, error) { return p.Create("dp_1", manual(1, 2), t0) },
			then: []Event{presetCreated("dp_1", manual(1, 2))}},
		{name: "create_invalid_names_every_field", when: func(p *Preset) ([]Event, error) { return p.Create("", manual(9, 0), t0) },
			err: ErrValidation, fields: []string{"id", "schedule[1]"}},
		{name: "create_reserved_builtin_id_refused", when: func(p *Preset) ([]Event, error) { return p.Create("default", manual(1), t0) },
			err: ErrValidation, fields: []string{"id"}},
		{name: "create_twice_refused", given: []Event{presetCreated("dp_1", manual(1))},
			when: func(p *Preset) ([]Event, error) { return p.Create("dp_1", manual(1), t0) }, err: ErrAlreadyExists},
		{name: "edit", given: []Event{presetCreated("dp_1", manual(1))},
			when: func(p *Preset) ([]Event, error) { return p.Update(manual(2, 3), t0.Add(time.Hour)) },
			then: []Event{PresetUpdated{Base: at(time.Hour), PresetID: "dp_1", Spec: manual(2, 3)}}},
		{name: "edit_unchanged_records_nothing", given: []Event{presetCreated("dp_1", manual(1))},
			when: func(p *Preset) ([]Event, error) { return p.Update(manual(1), t0) }},
		{name: "edit_invalid_refused", given: []Event{presetCreated("dp_1", manual(1))},
			when: func(p *Preset) ([]Event, error) { return p.Update(smart(0, 0), t0) }, err: ErrValidation, fields: []string{"smart_max_retries", "smart_window_days"}},
		{name: "edit_archived_refused", given: []Event{presetCreated("dp_1", manual(1)), PresetArchived{PresetID: "dp_1"}},
			when: func(p *Preset) ([]Event, error) { return p.Update(manual(2), t0) }, err: ErrArchived},
		{name: "edit_missing_refused", when: func(p *Preset) ([]Event, error) { return p.Update(manual(2), t0) }, err: ErrNotFound},
		{name: "archive", given: []Event{presetCreated("dp_1", manual(1))},
			when: func(p *Preset) ([]Event, error) { return p.Archive(RebuildSettings(nil), t0) },
			then: []Event{PresetArchived{Base: at(0), PresetID: "dp_1"}}},
		{name: "archive_twice_records_nothing", given: []Event{presetCreated("dp_1", manual(1)), PresetArchived{PresetID: "dp_1"}},
			when: func(p *Preset) ([]Event, error) { return p.Archive(RebuildSettings(nil), t0) }},
		{name: "archive_default_refused", given: []Event{presetCreated("dp_1", manual(1))},
			when: func(p *Preset) ([]Event, error) {
				return p.Archive(RebuildSettings([]Event{DefaultPresetChanged{PresetID: "dp_1"}}), t0)
			}, err: ErrDefaultPreset},
	})
}

func TestProduct(t *testing.T) {
	live := RebuildPreset([]Event{presetCreated("dp_1", manual(1))})
	archived := RebuildPreset([]Event{presetCreated("dp_2", manual(1)), PresetArchived{PresetID: "dp_2"}})
	created := ProductCreated{Base: at(0), ProductID: "prod_1", Name: "Pro"}
	runScenarios(t, RebuildProduct, []scenario[*Product]{
		{name: "create", when: func(p *Product) ([]Event, error) { return p.Create("prod_1", "Pro", t0) }, then: []Event{created}},
		{name: "create_without_name_refused", when: func(p *Product) ([]Event, error) { return p.Create("prod_1", "", t0) }, err: ErrValidation, fields: []string{"name"}},
		{name: "assign_preset", given: []Event{created},
			when: func(p *Product) ([]Event, error) { return p.AssignPreset(live, t0) },
			then: []Event{ProductPresetAssigned{Base: at(0), ProductID: "prod_1", PresetID: "dp_1"}}},
		{name: "assign_archived_preset_refused", given: []Event{created},
			when: func(p *Product) ([]Event, error) { return p.AssignPreset(archived, t0) }, err: ErrArchived},
		{name: "assign_unknown_preset_refused", given: []Event{created},
			when: func(p *Product) ([]Event, error) { return p.AssignPreset(&Preset{}, t0) }, err: ErrNotFound},
		{name: "assign_same_preset_records_nothing", given: []Event{created, ProductPresetAssigned{ProductID: "prod_1", PresetID: "dp_1"}},
			when: func(p *Product) ([]Event, error) { return p.AssignPreset(live, t0) }},
		{name: "back_to_default", given: []Event{created, ProductPresetAssigned{ProductID: "prod_1", PresetID: "dp_1"}},
			when: func(p *Product) ([]Event, error) { return p.UseDefault(t0) },
			then: []Event{ProductPresetAssigned{Base: at(0), ProductID: "prod_1"}}},
	})
}

func TestSettings(t *testing.T) {
	live := RebuildPreset([]Event{presetCreated("dp_1", manual(1))})
	archived := RebuildPreset([]Event{presetCreated("dp_2", manual(1)), PresetArchived{PresetID: "dp_2"}})
	cs := CollectionSettings{UncollectibleAfterDays: 30, AutoReconcileThreshold: 100}
	runScenarios(t, RebuildSettings, []scenario[*Settings]{
		{name: "mark_default", when: func(s *Settings) ([]Event, error) { return s.MakeDefault(live, t0) },
			then: []Event{DefaultPresetChanged{Base: at(0), PresetID: "dp_1"}}},
		{name: "mark_default_names_previous", given: []Event{DefaultPresetChanged{PresetID: "dp_9"}},
			when: func(s *Settings) ([]Event, error) { return s.MakeDefault(live, t0) },
			then: []Event{DefaultPresetChanged{Base: at(0), PresetID: "dp_1", PreviousPresetID: "dp_9"}}},
		{name: "mark_archived_default_refused", when: func(s *Settings) ([]Event, error) { return s.MakeDefault(archived, t0) }, err: ErrArchived},
		{name: "change_collection_settings", when: func(s *Settings) ([]Event, error) { return s.ChangeCollection(cs, t0) },
			then: []Event{CollectionSettingsChanged{Base: at(0), Settings: cs}}},
		{name: "invalid_collection_settings_refused", when: func(s *Settings) ([]Event, error) {
			return s.ChangeCollection(CollectionSettings{UncollectibleAfterDays: 10, AutoReconcileThreshold: -5}, t0)
		}, err: ErrValidation, fields: []string{"uncollectible_after_days", "auto_reconcile_threshold"}},
		{name: "unchanged_settings_record_nothing", when: func(s *Settings) ([]Event, error) { return s.ChangeCollection(DefaultCollectionSettings(), t0) }},
	})
}

func TestResolvePreset(t *testing.T) {
	presets := map[string]*Preset{
		"dp_a": RebuildPreset([]Event{presetCreated("dp_a", manual(1))}),
		"dp_b": RebuildPreset([]Event{presetCreated("dp_b", manual(2, 2))}),
		"dp_x": RebuildPreset([]Event{presetCreated("dp_x", manual(5)), PresetArchived{PresetID: "dp_x"}}),
	}
	lookup := func(id string) (*Preset, bool) { p, ok := presets[id]; return p, ok }
	product := func(preset string) *Product {
		return RebuildProduct([]Event{ProductCreated{ProductID: "prod_1"}, ProductPresetAssigned{ProductID: "prod_1", PresetID: preset}})
	}
	settings := func(def string) *Settings {
		return RebuildSettings([]Event{DefaultPresetChanged{PresetID: def}})
	}
	tests := []struct {
		name     string
		product  *Product
		settings *Settings
		want     string
	}{
		{"builtin_default_on_a_new_account", product(""), RebuildSettings(nil), BuiltinDefaultPresetID},
		{"account_default_when_product_chose_none", product(""), settings("dp_a"), "dp_a"},
		{"product_preset_overrides_default", product("dp_b"), settings("dp_a"), "dp_b"},
		{"default_change_never_touches_products_that_chose_another_preset", product("dp_b"), settings("dp_x"), "dp_b"},
		{"archived_assigned_preset_keeps_working", product("dp_x"), settings("dp_a"), "dp_x"},
		{"one_off_invoice_without_product_uses_default", nil, settings("dp_b"), "dp_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, spec := ResolvePreset(tt.product, tt.settings, lookup)
			if id != tt.want {
				t.Fatalf("resolved %s, want %s", id, tt.want)
			}
			if id != BuiltinDefaultPresetID && spec.Schedule[0] != presets[id].Spec.Schedule[0] {
				t.Fatalf("spec %+v is not preset %s's", spec, id)
			}
		})
	}
	if id, spec := ResolvePreset(nil, RebuildSettings(nil), lookup); id != BuiltinDefaultPresetID || spec.MaxRetries() != 3 {
		t.Fatalf("built-in default: %s %+v", id, spec)
	}
	var se *StateError
	_, err := RebuildPreset(nil).Update(manual(1), t0)
	if !errors.As(err, &se) || se.Field != "id" {
		t.Fatalf("state error does not name the field: %v", err)
	}
}
