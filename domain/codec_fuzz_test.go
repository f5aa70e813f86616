package domain

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// sampleEvents holds one filled value of every event type, to seed the
// fuzzers and to check the round trip of the whole catalogue.
func sampleEvents() []Event {
	due := t0.Add(30 * day)
	b := Base{OccurredAt: t0}
	return []Event{
		CustomerRegistered{Base: b, CustomerID: "cus_1", Country: "US", TimeZone: "America/Chicago"},
		PaymentMethodAttached{Base: b, PaymentMethodID: "pm_1", CustomerID: "cus_1", Network: Visa, Funding: Debit, Country: "US", ExpMonth: 3, ExpYear: 2029, Default: true},
		PaymentMethodUpdated{Base: b, PaymentMethodID: "pm_1", Source: UpdatedByAccountUpdater, NewNumber: true},
		CardActivityObserved{Base: b, PaymentMethodID: "pm_1", DeviceID: "dev_1"},
		ProductCreated{Base: b, ProductID: "prod_1", Name: "Pro"},
		ProductPresetAssigned{Base: b, ProductID: "prod_1", PresetID: "dp_1"},
		PresetCreated{Base: b, PresetID: "dp_1", Spec: smart(8, 14)},
		PresetUpdated{Base: b, PresetID: "dp_1", Spec: manual(1, 2, 4)},
		PresetArchived{Base: b, PresetID: "dp_1"},
		DefaultPresetChanged{Base: b, PresetID: "dp_1", PreviousPresetID: "dp_0"},
		CollectionSettingsChanged{Base: b, Settings: CollectionSettings{RemindBeforeDueDays: []int{3}, UncollectibleAfterDays: 30}},
		subStarted(),
		SubscriptionPaused{Base: b, SubscriptionID: "sub_1", Reason: "dunning", InvoiceID: "in_1"},
		SubscriptionResumed{Base: b, SubscriptionID: "sub_1", Reason: "payment_recovered"},
		SubscriptionCanceled{Base: b, SubscriptionID: "sub_1", Reason: "payment_failed"},
		SubscriptionMarkedPastDue{Base: b, SubscriptionID: "sub_1", InvoiceID: "in_1"},
		InvoiceCreated{Base: b, InvoiceID: "in_1", CustomerID: "cus_1"},
		InvoiceFinalized{Base: b, InvoiceID: "in_1", CustomerID: "cus_1", Amount: 1000, Currency: "usd", DueDate: &due, CollectionMethod: SendInvoice},
		PaymentAttempted{Base: Base{OccurredAt: t0, Backfill: true}, InvoiceID: "in_1", PaymentMethodID: "pm_1", AttemptNumber: 2, Amount: 1000, Currency: "usd",
			Outcome: Failed, DeclineCode: "do_not_honor", NetworkDeclineCode: "05", AdviceCode: "24", Network: Mastercard, Funding: Credit,
			Initiator: InitiatorRetry, Source: SourceExplore, Propensity: 0.05},
		PaymentSucceeded{Base: b, InvoiceID: "in_1", Amount: 1000, AttemptNumber: 3},
		PartialPaymentReceived{Base: b, InvoiceID: "in_1", Amount: 10},
		InvoicePaid{Base: b, InvoiceID: "in_1", AmountPaid: 1000},
		InvoiceReconciled{Base: b, InvoiceID: "in_1", CreditAmount: 5},
		DunningStarted{Base: b, InvoiceID: "in_1", PresetID: "default", Preset: DefaultPresetSpec(), Settings: DefaultCollectionSettings()},
		RetryScheduled{Base: b, InvoiceID: "in_1", AttemptNumber: 2, At: t0.Add(day), Source: SourceSmart, ModelVersion: "m1", Score: 0.31, Propensity: 1, Rule: RuleVisaCap30d},
		RetryBlocked{Base: b, InvoiceID: "in_1", PaymentMethodID: "pm_1", Rule: RuleVisaCategory1, Until: t0.Add(7 * day)},
		ReminderScheduled{Base: b, InvoiceID: "in_1", Kind: ReminderBeforeDue, At: due.Add(-3 * day)},
		ReminderSent{Base: b, InvoiceID: "in_1", Kind: ReminderPaymentFailed, Channel: "email", ScheduledAt: &due},
		ReminderFailed{Base: b, InvoiceID: "in_1", Kind: ReminderPaymentFailed, Channel: "email", MessageID: "m1@recoup", Attempts: 1, Error: "451 try again later"},
		DunningExhausted{Base: b, InvoiceID: "in_1", Attempts: 4},
		InvoiceMarkedUncollectible{Base: b, InvoiceID: "in_1", Reason: "past_due_days"},
		InvoiceWrittenOff{Base: b, InvoiceID: "in_1", Amount: 1000},
		InvoiceLeftOverdue{Base: b, InvoiceID: "in_1", UncollectibleAt: &due},
		InvoiceVoided{Base: b, InvoiceID: "in_1"},
		ChargeOutsideAttempt{Base: b, InvoiceID: "in_1", IdempotencyKey: "in_1/2", PaymentMethodID: "pm_1", ChargeID: "ch_1", Amount: 1000, Currency: "usd", Applied: 900, Reason: ReasonOverRemainder},
		WebhookSent{Base: b, InvoiceID: "in_1", WebhookID: "evt_1", Type: "invoice.paid", URL: "https://example.test/hook", Attempts: 1, Delivered: true, LastStatus: 200},
	}
}

func TestEveryEventTypeRoundTrips(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range sampleEvents() {
		typ, data, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		seen[typ] = true
		got, err := Decode(typ, data)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("%s round trip:\n got %#v\nwant %#v", typ, got, e)
		}
	}
	for _, typ := range EventTypes() {
		if !seen[typ] {
			t.Errorf("no sample of %s", typ)
		}
	}
}

// FuzzDecode: decoding never panics, and a decoded event re-encodes to
// JSON that decodes to the same value (compared by its encoding, since
// time zones decode to distinct but equal locations).
func FuzzDecode(f *testing.F) {
	for _, e := range sampleEvents() {
		typ, data, _ := Encode(e)
		f.Add(typ, data)
	}
	f.Add(TypeInvoiceFinalized, []byte(`{"occurred_at":"2026-01-01T00:00:00+05:30","amount":-1}`))
	f.Add(TypePaymentAttempted, []byte(`{"propensity":1e308,"attempt_number":-3}`))
	f.Add("Nope", []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		e, err := Decode(typ, data)
		if err != nil {
			return
		}
		typ2, enc, err := Encode(e)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", e, err)
		}
		if typ2 != typ {
			t.Fatalf("type %q re-encodes as %q", typ, typ2)
		}
		e2, err := Decode(typ2, enc)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v\n%s", typ, err, enc)
		}
		_, enc2, _ := Encode(e2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the value:\n%s\n%s", enc, enc2)
		}
		if !sameEvent(e, e2) {
			t.Fatalf("round trip changed the value:\n%#v\n%#v", e, e2)
		}
	})
}

// sameEvent compares events, treating equal instants in different
// locations as the same.
func sameEvent(a, b Event) bool {
	return reflect.DeepEqual(normalize(reflect.ValueOf(a)), normalize(reflect.ValueOf(b)))
}

var timeType = reflect.TypeFor[time.Time]()

func normalize(v reflect.Value) any {
	switch {
	case v.Type() == timeType:
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return []any{normalize(v.Elem())}
	case v.Kind() == reflect.Struct:
		out := make([]any, v.NumField())
		for i := range out {
			out[i] = normalize(v.Field(i))
		}
		return out
	case v.Kind() == reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i))
		}
		return out
	}
	return v.Interface()
}

func FuzzDecodeMetadata(f *testing.F) {
	f.Add(EncodeMetadata(Metadata{IdempotencyKey: "k", CorrelationID: "c", CausationID: "x"}))
	f.Add([]byte(``))
	f.Add([]byte(`{"schema":2}`))
	f.Add([]byte(`{"schema":1,"extra":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMetadata(data)
		if err != nil {
			return
		}
		if m.Schema < 1 || m.Schema > SchemaVersion {
			t.Fatalf("accepted schema %d", m.Schema)
		}
		m2, err := DecodeMetadata(EncodeMetadata(m))
		if err != nil {
			t.Fatalf("re-encoded metadata does not decode: %v", err)
		}
		if m2 != m {
			t.Fatalf("round trip changed metadata: %+v → %+v", m, m2)
		}
		if b, _ := json.Marshal(m); !json.Valid(b) {
			t.Fatal("metadata does not marshal to JSON")
		}
	})
}
