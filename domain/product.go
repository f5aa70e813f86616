package domain

import "time"

// Product is the product aggregate: what subscriptions are sold on, and
// the dunning preset it chose ("" follows the account default).
type Product struct {
	ID       string
	Name     string
	PresetID string
	Version  int
}

// RebuildProduct folds a stream's events into a Product.
func RebuildProduct(events []Event) *Product {
	p := &Product{}
	for _, e := range events {
		p.Apply(e)
	}
	return p
}

// Exists reports whether the product was created.
func (p *Product) Exists() bool { return p != nil && p.ID != "" }

// Apply folds one event into the product.
func (p *Product) Apply(e Event) {
	p.Version++
	switch e := e.(type) {
	case ProductCreated:
		p.ID, p.Name = e.ProductID, e.Name
	case ProductPresetAssigned:
		p.PresetID = e.PresetID
	}
}

// Create records a new product.
func (p *Product) Create(id, name string, at time.Time) ([]Event, error) {
	var fe fieldErrs
	fe.require("id", id)
	fe.require("name", name)
	if err := fe.err(); err != nil {
		return nil, err
	}
	if p.Exists() {
		return nil, stateErr(ErrAlreadyExists, "product "+p.ID, "id", "product exists")
	}
	return []Event{ProductCreated{Base: Base{OccurredAt: at}, ProductID: id, Name: name}}, nil
}

// AssignPreset makes the product use preset; it must exist and not be
// archived. Assigning the preset it already uses records nothing.
func (p *Product) AssignPreset(preset *Preset, at time.Time) ([]Event, error) {
	if !p.Exists() {
		return nil, stateErr(ErrNotFound, "product", "product_id", "no such product")
	}
	if err := preset.assignable(); err != nil {
		return nil, err
	}
	if p.PresetID == preset.ID {
		return nil, nil
	}
	return []Event{ProductPresetAssigned{Base: Base{OccurredAt: at}, ProductID: p.ID, PresetID: preset.ID}}, nil
}

// UseDefault returns the product to the account default preset.
func (p *Product) UseDefault(at time.Time) ([]Event, error) {
	if !p.Exists() {
		return nil, stateErr(ErrNotFound, "product", "product_id", "no such product")
	}
	if p.PresetID == "" {
		return nil, nil
	}
	return []Event{ProductPresetAssigned{Base: Base{OccurredAt: at}, ProductID: p.ID}}, nil
}
