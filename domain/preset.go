package domain

import (
	"reflect"
	"time"
)

// Preset is a dunning preset aggregate. An archived preset can be neither
// edited nor newly assigned, but products and runs that already use it
// keep working.
type Preset struct {
	ID       string
	Spec     PresetSpec
	Archived bool
	Version  int
}

// RebuildPreset folds a stream's events into a Preset.
func RebuildPreset(events []Event) *Preset {
	p := &Preset{}
	for _, e := range events {
		p.Apply(e)
	}
	return p
}

// Exists reports whether the preset was created.
func (p *Preset) Exists() bool { return p != nil && p.ID != "" }

// Apply folds one event into the preset.
func (p *Preset) Apply(e Event) {
	p.Version++
	switch e := e.(type) {
	case PresetCreated:
		p.ID, p.Spec = e.PresetID, e.Spec
	case PresetUpdated:
		p.Spec = e.Spec
	case PresetArchived:
		p.Archived = true
	}
}

func (p *Preset) subject() string { return "preset " + p.ID }

// Create records a new preset after checking its rules.
func (p *Preset) Create(id string, spec PresetSpec, at time.Time) ([]Event, error) {
	var fe fieldErrs
	fe.require("id", id)
	if id == BuiltinDefaultPresetID {
		fe.add("id", CodeNotAllowed, "%q names the built-in default preset", id)
	}
	if err := spec.Validate(); err != nil {
		fe = append(fe, err.(*ValidationError).Fields...)
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	if p.Exists() {
		return nil, stateErr(ErrAlreadyExists, p.subject(), "id", "preset exists")
	}
	return []Event{PresetCreated{Base: Base{OccurredAt: at}, PresetID: id, Spec: spec}}, nil
}

// Update replaces the preset's spec. Runs already started keep their
// snapshot. An archived preset cannot be edited; an unchanged spec
// records nothing.
func (p *Preset) Update(spec PresetSpec, at time.Time) ([]Event, error) {
	if !p.Exists() {
		return nil, stateErr(ErrNotFound, "preset", "id", "no such preset")
	}
	if p.Archived {
		return nil, stateErr(ErrArchived, p.subject(), "id", "an archived preset cannot be edited")
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if reflect.DeepEqual(spec, p.Spec) {
		return nil, nil
	}
	return []Event{PresetUpdated{Base: Base{OccurredAt: at}, PresetID: p.ID, Spec: spec}}, nil
}

// Archive stops the preset from being assigned. The account default
// cannot be archived (there must always be exactly one usable default);
// archiving twice records nothing.
func (p *Preset) Archive(settings *Settings, at time.Time) ([]Event, error) {
	if !p.Exists() {
		return nil, stateErr(ErrNotFound, "preset", "id", "no such preset")
	}
	if settings != nil && settings.DefaultPresetID == p.ID {
		return nil, stateErr(ErrDefaultPreset, p.subject(), "id", "make another preset the default first")
	}
	if p.Archived {
		return nil, nil
	}
	return []Event{PresetArchived{Base: Base{OccurredAt: at}, PresetID: p.ID}}, nil
}

// assignable refuses presets that do not exist or are archived.
func (p *Preset) assignable() error {
	if !p.Exists() {
		return stateErr(ErrNotFound, "preset", "preset_id", "no such preset")
	}
	if p.Archived {
		return stateErr(ErrArchived, p.subject(), "preset_id", "an archived preset cannot be assigned")
	}
	return nil
}
