package readmodel

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections/eventjson"
)

const kindCard = "card"

// Card activity is kept for a window long enough for any online feature
// ("distinct devices in the last N hours", N ≤ MaxActivityWindow), with at
// most maxDevices devices per card, so a record stays small.
const (
	MaxActivityWindow = 7 * 24 * time.Hour
	maxDevices        = 256
)

// Card is a payment method with its recent activity.
type Card struct {
	ID            string         `json:"id"`
	Customer      string         `json:"customer"`
	Network       domain.Network `json:"network"`
	Funding       domain.Funding `json:"funding"`
	Country       string         `json:"country"`
	ExpMonth      int            `json:"exp_month"`
	ExpYear       int            `json:"exp_year"`
	Last4         string         `json:"last4,omitempty"`
	AttachedAt    time.Time      `json:"attached_at"`
	LastUpdatedAt *time.Time     `json:"last_updated_at"`
	UpdateSource  string         `json:"last_update_source,omitempty"`
	// Devices are the devices seen within MaxActivityWindow of the newest
	// observation, each with its latest time, newest last.
	Devices []DeviceSeen `json:"devices"`

	seq, applied uint64
}

// DeviceSeen is a device's latest presentation of the card.
type DeviceSeen struct {
	Device string    `json:"device"`
	At     time.Time `json:"at"`
}

func (r *Card) sequence() uint64                { return r.seq }
func (r *Card) settled() bool                   { return false }
func (r *Card) indexes(dst []ixEntry) []ixEntry { return dst }

func (r *Card) encode(e *enc) {
	e.u(r.seq)
	e.u(r.applied)
	for _, s := range []string{r.ID, r.Customer, string(r.Network), string(r.Funding), r.Country, r.Last4, r.UpdateSource} {
		e.s(s)
	}
	e.n(r.ExpMonth)
	e.n(r.ExpYear)
	e.t(r.AttachedAt)
	e.tp(r.LastUpdatedAt)
	e.u(uint64(len(r.Devices)))
	for _, d := range r.Devices {
		e.s(d.Device)
		e.t(d.At)
	}
}

func (r *Card) decode(d *dec) {
	r.seq, r.applied = d.u(), d.u()
	r.ID, r.Customer, r.Network, r.Funding = d.s(), d.s(), domain.Network(d.s()), domain.Funding(d.s())
	r.Country, r.Last4, r.UpdateSource = d.s(), d.s(), d.s()
	r.ExpMonth, r.ExpYear = d.n(), d.n()
	r.AttachedAt, r.LastUpdatedAt = d.t(), d.tp()
	n := d.u()
	if n > maxDevices {
		d.fail()
		return
	}
	r.Devices = make([]DeviceSeen, n)
	for i := range r.Devices {
		r.Devices[i] = DeviceSeen{Device: d.s(), At: d.t()}
	}
}

// observe records device at at, keeping Devices sorted by time and within
// the window of the newest observation.
func (r *Card) observe(device []byte, at time.Time) {
	i := slices.IndexFunc(r.Devices, func(d DeviceSeen) bool { return d.Device == string(device) })
	if i >= 0 {
		if !at.After(r.Devices[i].At) {
			return
		}
		r.Devices = slices.Delete(r.Devices, i, i+1)
	}
	j, _ := slices.BinarySearchFunc(r.Devices, at, func(d DeviceSeen, t time.Time) int { return d.At.Compare(t) })
	r.Devices = slices.Insert(r.Devices, j, DeviceSeen{Device: string(device), At: at})
	newest := r.Devices[len(r.Devices)-1].At
	drop := 0
	for drop < len(r.Devices) && (newest.Sub(r.Devices[drop].At) > MaxActivityWindow || len(r.Devices)-drop > maxDevices) {
		drop++
	}
	r.Devices = slices.Delete(r.Devices, 0, drop)
}

// Cards projects payment methods and their card activity.
type Cards struct {
	base
	t *table[Card, *Card]
}

// NewCards returns the card-activity projection over db.
func NewCards(db *DB) *Cards {
	p := &Cards{t: newTable[Card](kindCard, defaultMaxCached, 1<<20)}
	p.base = base{db: db, name: NameCards, kinds: []string{kindCard}, tables: []flusher{p.t}}
	return p
}

// Apply implements projections.Projection.
func (p *Cards) Apply(ctx context.Context, events []eventstore.RecordedEvent) error {
	return p.apply(ctx, events, p.handle)
}

func (p *Cards) handle(ev *eventstore.RecordedEvent) error {
	switch ev.Type {
	case domain.TypePaymentMethodAttached, domain.TypePaymentMethodUpdated, domain.TypeCardActivityObserved:
	default:
		return nil
	}
	f, err := p.decode(ev)
	if err != nil {
		return err
	}
	if len(f.PaymentMethodID) == 0 {
		return fmt.Errorf("%s at %d: payment_method_id: must not be empty", ev.Type, ev.Position.Commit)
	}
	e, err := p.t.get(p.db, p.wait, f.PaymentMethodID)
	if err != nil || e.cur.applied > ev.Position.Commit {
		return err
	}
	r := &e.cur
	if r.ID == "" {
		*r = Card{ID: e.id, seq: ev.Position.Commit}
	}
	applyCard(r, ev.Type, f, p.names)
	r.applied = ev.Position.Commit + 1
	p.t.touch(e)
	return nil
}

func applyCard(r *Card, typ string, f *eventjson.Fields, in interner) {
	at := f.OccurredAt.UTC()
	switch typ {
	case domain.TypePaymentMethodAttached:
		setStr(&r.Customer, f.CustomerID)
		r.Network, r.Funding = domain.Network(in.str(f.Network)), domain.Funding(in.str(f.Funding))
		in.set(&r.Country, f.Country)
		setStr(&r.Last4, f.Last4)
		r.ExpMonth, r.ExpYear, r.AttachedAt = f.ExpMonth, f.ExpYear, at
	case domain.TypePaymentMethodUpdated:
		r.ExpMonth, r.ExpYear, r.LastUpdatedAt = f.ExpMonth, f.ExpYear, &at
		if len(f.Last4) > 0 {
			setStr(&r.Last4, f.Last4)
		}
		in.set(&r.UpdateSource, f.Source)
	case domain.TypeCardActivityObserved:
		if len(f.DeviceID) > 0 {
			r.observe(f.DeviceID, at)
		}
	}
}

// CardActivity is the online feature of a card at a time.
type CardActivity struct {
	PaymentMethod string `json:"payment_method"`
	// DistinctDevices presented the card in (At-Window, At].
	DistinctDevices int           `json:"distinct_devices"`
	Window          time.Duration `json:"window_ns"`
	At              time.Time     `json:"at"`
	LastSeenAt      *time.Time    `json:"last_seen_at"`
	LastUpdatedAt   *time.Time    `json:"last_updated_at"`
	UpdateSource    string        `json:"last_update_source,omitempty"`
}

// Activity computes the card's distinct devices in (at-window, at].
func (r *Card) Activity(at time.Time, window time.Duration) CardActivity {
	a := CardActivity{PaymentMethod: r.ID, Window: window, At: at, LastUpdatedAt: r.LastUpdatedAt, UpdateSource: r.UpdateSource}
	from := at.Add(-window)
	for i := range r.Devices {
		d := &r.Devices[i]
		if d.At.After(from) && !d.At.After(at) {
			a.DistinctDevices++
			t := d.At
			a.LastSeenAt = &t
		}
	}
	return a
}
