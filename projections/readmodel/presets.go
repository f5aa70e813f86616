package readmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

const (
	kindPreset  = "pre"
	kindProduct = "prd"
	kindAccount = "acct"
	// accountID is the one account record (default preset, settings).
	accountID = "account"
)

// BuiltinDefaultPresetID names the built-in default preset (3 retries
// over 7 days), in force until a DefaultPresetChanged names another.
const BuiltinDefaultPresetID = "default"

// Preset is a dunning preset as currently defined.
type Preset struct {
	ID         string            `json:"id"`
	Spec       domain.PresetSpec `json:"spec"`
	Archived   bool              `json:"archived"`
	ArchivedAt *time.Time        `json:"archived_at"`
	Created    time.Time         `json:"created"`
	UpdatedAt  time.Time         `json:"updated_at"`

	seq, applied uint64
}

func (r *Preset) sequence() uint64 { return r.seq }
func (r *Preset) settled() bool    { return false }
func (r *Preset) indexes(dst []ixEntry) []ixEntry {
	return append(dst, ixEntry{"all", ""})
}

func (r *Preset) encode(e *enc) {
	e.u(r.seq)
	e.u(r.applied)
	e.s(r.ID)
	encodePreset(e, &r.Spec)
	e.f(r.Archived)
	e.tp(r.ArchivedAt)
	e.t(r.Created)
	e.t(r.UpdatedAt)
}

func (r *Preset) decode(d *dec) {
	r.seq, r.applied, r.ID = d.u(), d.u(), d.s()
	r.Spec = *decodePreset(d)
	r.Archived, r.ArchivedAt, r.Created, r.UpdatedAt = d.f(), d.tp(), d.t(), d.t()
}

// Product is a product and the preset it chose ("" for the default).
type Product struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	PresetID  string    `json:"preset_id,omitempty"`
	Created   time.Time `json:"created"`
	UpdatedAt time.Time `json:"updated_at"`

	seq, applied uint64
}

func (r *Product) sequence() uint64 { return r.seq }
func (r *Product) settled() bool    { return false }
func (r *Product) indexes(dst []ixEntry) []ixEntry {
	return append(dst, ixEntry{"all", ""})
}

func (r *Product) encode(e *enc) {
	e.u(r.seq)
	e.u(r.applied)
	e.s(r.ID)
	e.s(r.Name)
	e.s(r.PresetID)
	e.t(r.Created)
	e.t(r.UpdatedAt)
}

func (r *Product) decode(d *dec) {
	r.seq, r.applied, r.ID, r.Name, r.PresetID = d.u(), d.u(), d.s(), d.s(), d.s()
	r.Created, r.UpdatedAt = d.t(), d.t()
}

// Account holds account-wide choices: the default preset and the
// automatic-collection settings.
type Account struct {
	DefaultPresetID string                    `json:"default_preset_id"`
	Settings        domain.CollectionSettings `json:"settings"`
	UpdatedAt       time.Time                 `json:"updated_at"`

	seq, applied uint64
}

func (r *Account) sequence() uint64                { return r.seq }
func (r *Account) settled() bool                   { return false }
func (r *Account) indexes(dst []ixEntry) []ixEntry { return dst }

func (r *Account) encode(e *enc) {
	e.u(r.seq)
	e.u(r.applied)
	e.s(r.DefaultPresetID)
	settings, _ := json.Marshal(r.Settings) // plain struct: cannot fail
	e.bytes(settings)
	e.t(r.UpdatedAt)
}

func (r *Account) decode(d *dec) {
	r.seq, r.applied, r.DefaultPresetID = d.u(), d.u(), d.s()
	if raw := d.raw(); d.err == nil && json.Unmarshal(raw, &r.Settings) != nil {
		d.fail()
	}
	r.UpdatedAt = d.t()
}

// Presets projects presets, products' preset choices and the account's
// default preset and settings.
type Presets struct {
	base
	presets  *table[Preset, *Preset]
	products *table[Product, *Product]
	account  *table[Account, *Account]
}

// NewPresets returns the presets projection over db.
func NewPresets(db *DB) *Presets {
	p := &Presets{
		presets:  newTable[Preset](kindPreset, defaultMaxCached, 1<<16),
		products: newTable[Product](kindProduct, defaultMaxCached, 1<<16),
		account:  newTable[Account](kindAccount, 1, 1),
	}
	p.base = base{db: db, name: NamePresets, kinds: []string{kindPreset, kindProduct, kindAccount},
		tables: []flusher{p.presets, p.products, p.account}}
	return p
}

// Apply implements projections.Projection.
func (p *Presets) Apply(ctx context.Context, events []eventstore.RecordedEvent) error {
	return p.apply(ctx, events, p.handle)
}

func (p *Presets) handle(ev *eventstore.RecordedEvent) error {
	var err error
	switch ev.Type {
	case domain.TypePresetCreated, domain.TypePresetUpdated, domain.TypePresetArchived:
		err = p.handlePreset(ev)
	case domain.TypeProductCreated, domain.TypeProductPresetAssigned:
		err = p.handleProduct(ev)
	case domain.TypeDefaultPresetChanged, domain.TypeCollectionSettingsChanged:
		err = p.handleAccount(ev)
	}
	return err
}

func (p *Presets) handlePreset(ev *eventstore.RecordedEvent) error {
	f, err := p.decode(ev)
	if err != nil {
		return err
	}
	if len(f.PresetID) == 0 {
		return fmt.Errorf("%s at %d: preset_id: must not be empty", ev.Type, ev.Position.Commit)
	}
	e, err := p.presets.get(p.db, p.wait, f.PresetID)
	if err != nil || e.cur.applied > ev.Position.Commit {
		return err
	}
	r := &e.cur
	at := f.OccurredAt.UTC()
	if r.ID == "" {
		*r = Preset{ID: e.id, seq: ev.Position.Commit, Created: at}
	}
	switch ev.Type {
	case domain.TypePresetCreated, domain.TypePresetUpdated:
		var spec domain.PresetSpec
		if err := json.Unmarshal(f.Spec, &spec); err != nil {
			return fmt.Errorf("%s at %d: spec: %w", ev.Type, ev.Position.Commit, err)
		}
		r.Spec = spec
	case domain.TypePresetArchived:
		r.Archived, r.ArchivedAt = true, &at
	}
	r.applied, r.UpdatedAt = ev.Position.Commit+1, at
	p.presets.touch(e)
	return nil
}

func (p *Presets) handleProduct(ev *eventstore.RecordedEvent) error {
	f, err := p.decode(ev)
	if err != nil {
		return err
	}
	if len(f.ProductID) == 0 {
		return fmt.Errorf("%s at %d: product_id: must not be empty", ev.Type, ev.Position.Commit)
	}
	e, err := p.products.get(p.db, p.wait, f.ProductID)
	if err != nil || e.cur.applied > ev.Position.Commit {
		return err
	}
	r := &e.cur
	at := f.OccurredAt.UTC()
	if r.ID == "" {
		*r = Product{ID: e.id, seq: ev.Position.Commit, Created: at}
	}
	switch ev.Type {
	case domain.TypeProductCreated:
		setStr(&r.Name, f.Name)
	case domain.TypeProductPresetAssigned:
		setStr(&r.PresetID, f.PresetID)
	}
	r.applied, r.UpdatedAt = ev.Position.Commit+1, at
	p.products.touch(e)
	return nil
}

func (p *Presets) handleAccount(ev *eventstore.RecordedEvent) error {
	f, err := p.decode(ev)
	if err != nil {
		return err
	}
	e, err := p.account.get(p.db, p.wait, []byte(accountID))
	if err != nil || e.cur.applied > ev.Position.Commit {
		return err
	}
	r := &e.cur
	if !e.exists && r.applied == 0 {
		r.Settings = domain.DefaultCollectionSettings()
	}
	switch ev.Type {
	case domain.TypeDefaultPresetChanged:
		setStr(&r.DefaultPresetID, f.PresetID)
	case domain.TypeCollectionSettingsChanged:
		var s domain.CollectionSettings
		if err := json.Unmarshal(f.Settings, &s); err != nil {
			return fmt.Errorf("%s at %d: settings: %w", ev.Type, ev.Position.Commit, err)
		}
		r.Settings = s
	}
	r.applied, r.UpdatedAt = ev.Position.Commit+1, f.OccurredAt.UTC()
	p.account.touch(e)
	return nil
}
