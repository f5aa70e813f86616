package readmodel

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/projections"
)

// t0 is the start of the scenario's business time.
var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func at(h float64) domain.Base {
	return domain.Base{OccurredAt: t0.Add(time.Duration(h * float64(time.Hour)))}
}

func tp(h float64) *time.Time {
	t := t0.Add(time.Duration(h * float64(time.Hour)))
	return &t
}

// scenario is a small history touching every read model and every
// invoice and subscription state.
func scenario() []domain.Event {
	aggressive := domain.PresetSpec{Name: "Aggressive", RetriesEnabled: true, Schedule: []int{1, 1, 1, 2},
		DuringRecovery: domain.DuringKeepActive, AfterSub: domain.AfterPause, AfterInvoice: domain.InvoiceLeaveOverdueDays, OverdueDays: 10}
	soft := domain.PresetSpec{Name: "Soft", RetriesEnabled: true, SmartRetries: true, SmartMaxRetries: 8, SmartWindowDays: 14,
		DuringRecovery: domain.DuringPause, AfterSub: domain.AfterCancel, AfterInvoice: domain.InvoiceWriteOff}
	settings := domain.DefaultCollectionSettings()
	settings.UncollectibleAfterDays = 30
	settings.AutoReconcileThreshold = 50
	def := domain.DefaultPresetSpec()
	return []domain.Event{
		domain.CollectionSettingsChanged{Base: at(0), Settings: settings},
		domain.PresetCreated{Base: at(0), PresetID: "pre_aggr", Spec: aggressive},
		domain.PresetCreated{Base: at(0.1), PresetID: "pre_soft", Spec: soft},
		domain.ProductCreated{Base: at(0.2), ProductID: "prod_a", Name: "Pro"},
		domain.ProductCreated{Base: at(0.2), ProductID: "prod_b", Name: "Basic"},
		domain.ProductCreated{Base: at(0.2), ProductID: "prod_c", Name: "Team"},
		domain.ProductPresetAssigned{Base: at(0.3), ProductID: "prod_a", PresetID: "pre_aggr"},
		domain.ProductPresetAssigned{Base: at(0.3), ProductID: "prod_c", PresetID: "pre_soft"},
		domain.PresetArchived{Base: at(0.4), PresetID: "pre_soft"},
		domain.ProductPresetAssigned{Base: at(0.5), ProductID: "prod_c"},
		domain.DefaultPresetChanged{Base: at(0.6), PresetID: "pre_aggr"},
		domain.DefaultPresetChanged{Base: at(0.7), PresetID: "pre_soft", PreviousPresetID: "pre_aggr"},
		domain.PresetUpdated{Base: at(0.8), PresetID: "pre_aggr", Spec: func() domain.PresetSpec { s := aggressive; s.Name = "Aggressive v2"; return s }()},

		domain.CustomerRegistered{Base: at(1), CustomerID: "cus_1", Country: "US", TimeZone: "America/New_York"},
		domain.CustomerRegistered{Base: at(1), CustomerID: "cus_2", Country: "DE", TimeZone: "Europe/Berlin"},
		domain.PaymentMethodAttached{Base: at(1), PaymentMethodID: "pm_1", CustomerID: "cus_1", Network: domain.Visa, Funding: domain.Debit, Country: "US", ExpMonth: 4, ExpYear: 2027, Last4: "4242", Default: true},
		domain.PaymentMethodAttached{Base: at(1), PaymentMethodID: "pm_2", CustomerID: "cus_2", Network: domain.Mastercard, Funding: domain.Credit, Country: "DE", ExpMonth: 1, ExpYear: 2026, Last4: "5454", Default: true},
		domain.CardActivityObserved{Base: at(2), PaymentMethodID: "pm_1", DeviceID: "dev_old"},
		domain.CardActivityObserved{Base: at(200), PaymentMethodID: "pm_1", DeviceID: "dev_a"},
		domain.CardActivityObserved{Base: at(201), PaymentMethodID: "pm_1", DeviceID: "dev_b"},
		domain.CardActivityObserved{Base: at(202), PaymentMethodID: "pm_1", DeviceID: "dev_a"},
		domain.PaymentMethodUpdated{Base: at(150), PaymentMethodID: "pm_2", CustomerID: "cus_2", Source: domain.UpdatedByAccountUpdater, ExpMonth: 1, ExpYear: 2029, Last4: "5455", NewNumber: true},

		domain.SubscriptionStarted{Base: at(3), SubscriptionID: "sub_1", CustomerID: "cus_1", ProductID: "prod_a", PaymentMethodID: "pm_1", Amount: 4900, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
		domain.SubscriptionStarted{Base: at(3), SubscriptionID: "sub_2", CustomerID: "cus_2", ProductID: "prod_b", PaymentMethodID: "pm_2", Amount: 9900, Currency: "eur", Interval: domain.Year, IntervalCount: 1},
		domain.SubscriptionStarted{Base: at(3), SubscriptionID: "sub_3", CustomerID: "cus_1", ProductID: "prod_b", PaymentMethodID: "pm_1", Amount: 1000, Currency: "usd", Interval: domain.Month, IntervalCount: 3},

		// in_1: paid on the first attempt.
		domain.InvoiceCreated{Base: at(4), InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1"},
		domain.InvoiceFinalized{Base: at(4), InvoiceID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1", ProductID: "prod_a", PaymentMethodID: "pm_1", Amount: 4900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_create"},
		domain.PaymentAttempted{Base: at(4), InvoiceID: "in_1", PaymentMethodID: "pm_1", AttemptNumber: 1, Amount: 4900, Currency: "usd", Outcome: domain.Succeeded, Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorInitial, ChargeID: "ch_1"},
		domain.PaymentSucceeded{Base: at(4), InvoiceID: "in_1", Amount: 4900, AttemptNumber: 1, ChargeID: "ch_1"},
		domain.InvoicePaid{Base: at(4), InvoiceID: "in_1", AmountPaid: 4900},

		// in_2: fails, dunning under the aggressive preset, recovered on the second retry.
		domain.InvoiceFinalized{Base: at(10), InvoiceID: "in_2", CustomerID: "cus_1", SubscriptionID: "sub_1", ProductID: "prod_a", PaymentMethodID: "pm_1", Amount: 4900, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"},
		domain.PaymentAttempted{Base: at(10), InvoiceID: "in_2", PaymentMethodID: "pm_1", AttemptNumber: 1, Amount: 4900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51", Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorInitial},
		domain.DunningStarted{Base: at(10), InvoiceID: "in_2", SubscriptionID: "sub_1", PresetID: "pre_aggr", Preset: aggressive, Settings: settings},
		domain.SubscriptionMarkedPastDue{Base: at(10), SubscriptionID: "sub_1", InvoiceID: "in_2"},
		domain.RetryScheduled{Base: at(10), InvoiceID: "in_2", AttemptNumber: 2, At: t0.Add(34 * time.Hour), Source: domain.SourceSchedule},
		domain.ReminderScheduled{Base: at(10), InvoiceID: "in_2", Kind: domain.ReminderPaymentFailed, At: t0.Add(10 * time.Hour)},
		domain.ReminderSent{Base: at(10), InvoiceID: "in_2", Kind: domain.ReminderPaymentFailed, Channel: "email", MessageID: "m_1"},
		domain.PaymentAttempted{Base: at(34), InvoiceID: "in_2", PaymentMethodID: "pm_1", AttemptNumber: 2, Amount: 4900, Currency: "usd", Outcome: domain.Failed, DeclineCode: "insufficient_funds", NetworkDeclineCode: "51", Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorRetry, Source: domain.SourceSchedule, Propensity: 1},
		domain.RetryScheduled{Base: at(34), InvoiceID: "in_2", AttemptNumber: 3, At: t0.Add(58 * time.Hour), Source: domain.SourceSchedule},
		domain.SubscriptionPaused{Base: at(35), SubscriptionID: "sub_1", Reason: "dunning", InvoiceID: "in_2"},
		domain.PaymentAttempted{Base: at(58), InvoiceID: "in_2", PaymentMethodID: "pm_1", AttemptNumber: 3, Amount: 4900, Currency: "usd", Outcome: domain.Succeeded, Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorRetry, Source: domain.SourceSchedule, Propensity: 1, ChargeID: "ch_2"},
		domain.PaymentSucceeded{Base: at(58), InvoiceID: "in_2", Amount: 4900, AttemptNumber: 3, ChargeID: "ch_2"},
		domain.InvoicePaid{Base: at(58), InvoiceID: "in_2", AmountPaid: 4900},
		domain.SubscriptionResumed{Base: at(58), SubscriptionID: "sub_1", Reason: "invoice_paid", InvoiceID: "in_2"},

		// in_3: hard decline, exhausted, left overdue, then uncollectible; sub_2 canceled.
		domain.InvoiceFinalized{Base: at(20), InvoiceID: "in_3", CustomerID: "cus_2", SubscriptionID: "sub_2", ProductID: "prod_b", PaymentMethodID: "pm_2", Amount: 9900, Currency: "eur", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true},
		domain.PaymentAttempted{Base: at(20), InvoiceID: "in_3", PaymentMethodID: "pm_2", AttemptNumber: 1, Amount: 9900, Currency: "eur", Outcome: domain.Failed, DeclineCode: "expired_card", NetworkDeclineCode: "54", Network: domain.Mastercard, Funding: domain.Credit, Initiator: domain.InitiatorInitial},
		domain.DunningStarted{Base: at(20), InvoiceID: "in_3", SubscriptionID: "sub_2", PresetID: "pre_soft", Preset: soft, Settings: settings},
		domain.DunningExhausted{Base: at(100), InvoiceID: "in_3", Attempts: 1},
		domain.InvoiceLeftOverdue{Base: at(100), InvoiceID: "in_3", UncollectibleAt: tp(820)},
		domain.SubscriptionCanceled{Base: at(100), SubscriptionID: "sub_2", Reason: "payment_failed", InvoiceID: "in_3"},
		domain.SubscriptionResumed{Base: at(101), SubscriptionID: "sub_2", Reason: "ignored after cancel"},
		domain.InvoiceMarkedUncollectible{Base: at(820), InvoiceID: "in_3", Reason: "past_due_30_days"},

		// in_4: a draft that is voided; a late attempt cannot reopen it.
		domain.InvoiceCreated{Base: at(30), InvoiceID: "in_4", CustomerID: "cus_2"},
		domain.InvoiceVoided{Base: at(31), InvoiceID: "in_4"},
		domain.InvoiceMarkedUncollectible{Base: at(32), InvoiceID: "in_4"},

		// in_5: open, a retry scheduled in the future under the default preset.
		domain.InvoiceFinalized{Base: at(40), InvoiceID: "in_5", CustomerID: "cus_1", SubscriptionID: "sub_3", ProductID: "prod_b", PaymentMethodID: "pm_1", Amount: 1000, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true},
		domain.PaymentAttempted{Base: at(40), InvoiceID: "in_5", PaymentMethodID: "pm_1", AttemptNumber: 1, Amount: 1000, Currency: "usd", Outcome: domain.Failed, DeclineCode: "do_not_honor", NetworkDeclineCode: "05", Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorInitial},
		domain.DunningStarted{Base: at(40), InvoiceID: "in_5", SubscriptionID: "sub_3", PresetID: BuiltinDefaultPresetID, Preset: def, Settings: settings},
		domain.RetryScheduled{Base: at(40), InvoiceID: "in_5", AttemptNumber: 2, At: t0.Add(64 * time.Hour), Source: domain.SourceSmart, ModelVersion: "m1", Score: 0.3, Propensity: 0.95},

		// in_6: a send_invoice one-off paid partly, the rest reconciled.
		domain.InvoiceFinalized{Base: at(50), InvoiceID: "in_6", CustomerID: "cus_2", Amount: 10000, Currency: "eur", DueDate: tp(50 + 24*14), CollectionMethod: domain.SendInvoice, AutoAdvance: true, BillingReason: "manual"},
		domain.ReminderScheduled{Base: at(50), InvoiceID: "in_6", Kind: domain.ReminderBeforeDue, At: t0.Add((50 + 24*11) * time.Hour)},
		domain.PartialPaymentReceived{Base: at(60), InvoiceID: "in_6", Amount: 9960},
		domain.InvoiceReconciled{Base: at(60), InvoiceID: "in_6", CreditAmount: 40},
		domain.InvoicePaid{Base: at(60), InvoiceID: "in_6", AmountPaid: 9960},
	}
}

// record turns domain events into stored events at non-contiguous
// positions starting at 0, as $all delivers them.
func record(t testing.TB, evs []domain.Event) []eventstore.RecordedEvent {
	t.Helper()
	out := make([]eventstore.RecordedEvent, len(evs))
	for i, e := range evs {
		typ, data, err := domain.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		pos := uint64(i) * 3
		out[i] = eventstore.RecordedEvent{Stream: e.StreamName(), Type: typ, Data: data, ContentType: eventstore.ContentTypeJSON,
			Position: eventstore.Position{Commit: pos, Prepare: pos}}
	}
	return out
}

func openDB(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// applyAll applies events to every projection in batches of the given
// sizes (cycled), skipping what each projection's checkpoint covers, as
// the Runner does.
func applyAll(t testing.TB, ps []projections.Projection, events []eventstore.RecordedEvent, sizes ...int) {
	t.Helper()
	ctx := context.Background()
	if len(sizes) == 0 {
		sizes = []int{len(events)}
	}
	for i, k := 0, 0; i < len(events); k++ {
		n := min(sizes[k%len(sizes)], len(events)-i)
		for _, p := range ps {
			if err := p.Apply(ctx, events[i:i+n]); err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
		}
		i += n
	}
	for _, p := range ps {
		if err := p.(projections.Syncer).Sync(ctx); err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
	}
}

// dump is everything the read models answer, as JSON.
func dump(t testing.TB, db *DB) []byte {
	t.Helper()
	ctx := context.Background()
	all := Page{Limit: MaxLimit}
	invoices, err := db.Invoices(ctx, InvoiceFilter{}, all)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := db.Subscriptions(ctx, SubscriptionFilter{}, all)
	if err != nil {
		t.Fatal(err)
	}
	presets, err := db.Presets(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	products, err := db.Products(ctx, "", all)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := db.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cards []Card
	var activity []CardActivity
	for _, id := range []string{"pm_1", "pm_2"} {
		c, err := db.Card(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		cards = append(cards, c)
		a, err := db.CardActivity(ctx, id, t0.Add(202*time.Hour), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		activity = append(activity, a)
	}
	out, err := json.MarshalIndent(map[string]any{
		"invoices": invoices, "subscriptions": subs, "presets": presets, "products": products,
		"account": acct, "cards": cards, "card_activity_24h": activity,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
