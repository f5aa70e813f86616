package eventjson

import (
	"fmt"
	"time"
)

// Fields holds the members of any event of the domain catalogue that the
// projections read, decoded without allocating once warm. String members
// are views into an arena owned by Fields and stay valid until the next
// Decode; nested objects (spec, preset, settings) are kept raw for the
// rare events that carry them. Members absent from the JSON are zero.
type Fields struct {
	OccurredAt time.Time
	Backfill   bool

	InvoiceID, CustomerID, SubscriptionID, ProductID, PaymentMethodID []byte
	PresetID, PreviousPresetID, DeviceID                              []byte

	Currency, CollectionMethod, BillingReason, Interval  []byte
	Outcome, DeclineCode, NetworkDeclineCode, AdviceCode []byte
	Network, Funding, Initiator, Source, ChargeID        []byte
	ModelVersion, Reason, Kind, Channel, MessageID       []byte
	Country, TimeZone, Name, Email, Last4                []byte

	Amount, AmountPaid, CreditAmount           int64
	AttemptNumber, Attempts, ExpMonth, ExpYear int
	IntervalCount                              int
	Propensity, Score                          float64
	AutoAdvance, Default, NewNumber            bool

	DueDate, At, UncollectibleAt, ScheduledAt time.Time

	Spec, Preset, Settings []byte

	obj   Object
	arena []byte
}

// Decode reads data, a stored event's JSON, into f.
func (f *Fields) Decode(data []byte) error {
	arena := f.arena[:0]
	obj := f.obj
	*f = Fields{}
	f.obj = obj
	o := &f.obj
	o.Reset(data)
	for o.Next() {
		if err := f.member(o, &arena); err != nil {
			f.arena = arena
			return err
		}
	}
	f.arena = arena
	if err := o.Err(); err != nil {
		return err
	}
	return nil
}

func (f *Fields) member(o *Object, arena *[]byte) error {
	var err error
	str := func(dst *[]byte) {
		var b []byte
		if o.IsNull() {
			*dst = nil
			return
		}
		if b, err = o.Str(); err == nil {
			start := len(*arena)
			*arena = append(*arena, b...)
			*dst = (*arena)[start:len(*arena):len(*arena)]
		}
	}
	integer := func(dst *int) {
		var n int64
		n, err = o.Int()
		*dst = int(n)
	}
	switch string(o.Key()) {
	case "occurred_at":
		f.OccurredAt, err = o.Time()
	case "backfill":
		f.Backfill, err = o.Bool()
	case "invoice_id":
		str(&f.InvoiceID)
	case "customer_id":
		str(&f.CustomerID)
	case "subscription_id":
		str(&f.SubscriptionID)
	case "product_id":
		str(&f.ProductID)
	case "payment_method_id":
		str(&f.PaymentMethodID)
	case "preset_id":
		str(&f.PresetID)
	case "previous_preset_id":
		str(&f.PreviousPresetID)
	case "device_id":
		str(&f.DeviceID)
	case "currency":
		str(&f.Currency)
	case "collection_method":
		str(&f.CollectionMethod)
	case "billing_reason":
		str(&f.BillingReason)
	case "interval":
		str(&f.Interval)
	case "outcome":
		str(&f.Outcome)
	case "decline_code":
		str(&f.DeclineCode)
	case "network_decline_code":
		str(&f.NetworkDeclineCode)
	case "advice_code":
		str(&f.AdviceCode)
	case "network":
		str(&f.Network)
	case "funding":
		str(&f.Funding)
	case "initiator":
		str(&f.Initiator)
	case "source":
		str(&f.Source)
	case "charge_id":
		str(&f.ChargeID)
	case "model_version":
		str(&f.ModelVersion)
	case "reason":
		str(&f.Reason)
	case "kind":
		str(&f.Kind)
	case "channel":
		str(&f.Channel)
	case "message_id":
		str(&f.MessageID)
	case "country":
		str(&f.Country)
	case "time_zone":
		str(&f.TimeZone)
	case "name":
		str(&f.Name)
	case "email":
		str(&f.Email)
	case "last4":
		str(&f.Last4)
	case "amount":
		f.Amount, err = o.Int()
	case "amount_paid":
		f.AmountPaid, err = o.Int()
	case "credit_amount":
		f.CreditAmount, err = o.Int()
	case "attempt_number":
		integer(&f.AttemptNumber)
	case "attempts":
		integer(&f.Attempts)
	case "exp_month":
		integer(&f.ExpMonth)
	case "exp_year":
		integer(&f.ExpYear)
	case "interval_count":
		integer(&f.IntervalCount)
	case "propensity":
		f.Propensity, err = o.Float()
	case "score":
		f.Score, err = o.Float()
	case "auto_advance":
		f.AutoAdvance, err = o.Bool()
	case "default":
		f.Default, err = o.Bool()
	case "new_number":
		f.NewNumber, err = o.Bool()
	case "due_date":
		f.DueDate, err = o.OptTime()
	case "at":
		f.At, err = o.Time()
	case "uncollectible_at":
		f.UncollectibleAt, err = o.OptTime()
	case "scheduled_at":
		f.ScheduledAt, err = o.OptTime()
	case "spec":
		f.Spec = o.Raw()
	case "preset":
		f.Preset = o.Raw()
	case "settings":
		f.Settings = o.Raw()
	}
	if err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	return nil
}
