package domain

import (
	"reflect"
	"time"
)

// BuiltinDefaultPresetID names the built-in default preset
// (DefaultPresetSpec) an account uses until it marks one of its own.
const BuiltinDefaultPresetID = "default"

// Settings is the account-wide settings aggregate (stream "settings"):
// the collection settings and the one default preset.
type Settings struct {
	Collection CollectionSettings
	// DefaultPresetID is "" while the built-in default applies.
	DefaultPresetID string
	Version         int
}

// RebuildSettings folds the settings stream into Settings; with no
// events it holds the defaults of a new account.
func RebuildSettings(events []Event) *Settings {
	s := &Settings{Collection: DefaultCollectionSettings()}
	for _, e := range events {
		s.Apply(e)
	}
	return s
}

// Apply folds one event into the settings.
func (s *Settings) Apply(e Event) {
	s.Version++
	switch e := e.(type) {
	case CollectionSettingsChanged:
		s.Collection = e.Settings
	case DefaultPresetChanged:
		s.DefaultPresetID = e.PresetID
	}
}

// ChangeCollection replaces the collection settings after checking them;
// unchanged settings record nothing.
func (s *Settings) ChangeCollection(c CollectionSettings, at time.Time) ([]Event, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if reflect.DeepEqual(c, s.Collection) {
		return nil, nil
	}
	return []Event{CollectionSettingsChanged{Base: Base{OccurredAt: at}, Settings: c}}, nil
}

// MakeDefault marks preset as the account default. There is always
// exactly one default: this one replaces the previous. Products that
// chose a preset keep it.
func (s *Settings) MakeDefault(preset *Preset, at time.Time) ([]Event, error) {
	if err := preset.assignable(); err != nil {
		return nil, err
	}
	if s.DefaultPresetID == preset.ID {
		return nil, nil
	}
	return []Event{DefaultPresetChanged{Base: Base{OccurredAt: at}, PresetID: preset.ID, PreviousPresetID: s.DefaultPresetID}}, nil
}

// ResolvePreset returns the preset that applies to an invoice of product:
// the product's own choice, else the account default, else the built-in
// default. lookup finds a preset by ID; a product's preset applies even
// when archived (assigned presets keep working). An unknown ID falls
// through to the next choice.
func ResolvePreset(product *Product, settings *Settings, lookup func(id string) (*Preset, bool)) (string, PresetSpec) {
	if product != nil && product.PresetID != "" {
		if p, ok := lookup(product.PresetID); ok && p.Exists() {
			return p.ID, p.Spec
		}
	}
	if settings != nil && settings.DefaultPresetID != "" {
		if p, ok := lookup(settings.DefaultPresetID); ok && p.Exists() {
			return p.ID, p.Spec
		}
	}
	return BuiltinDefaultPresetID, DefaultPresetSpec()
}
