package readmodel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// aggregateWorld drives the domain's Invoice and Subscription aggregates
// with random commands (only those the aggregates accept), recording the
// events they return interleaved across invoices as $all would hold them.
type aggregateWorld struct {
	rng      *rand.Rand
	now      time.Time
	invoices map[string]*domain.Invoice
	subs     map[string]*domain.Subscription
	log      []domain.Event
}

func newAggregateWorld(seed uint64) *aggregateWorld {
	return &aggregateWorld{rng: rand.New(rand.NewPCG(seed, seed+1)), now: t0,
		invoices: map[string]*domain.Invoice{}, subs: map[string]*domain.Subscription{}}
}

func (w *aggregateWorld) tick() time.Time {
	w.now = w.now.Add(time.Duration(1+w.rng.IntN(180)) * time.Minute)
	return w.now
}

func (w *aggregateWorld) base() domain.Base { return domain.Base{OccurredAt: w.tick()} }

// record applies evs to their aggregates and appends them to the log;
// err (a refused command) records nothing.
func (w *aggregateWorld) record(evs []domain.Event, err error) {
	if err != nil {
		return
	}
	for _, e := range evs {
		switch e.StreamName()[:3] {
		case "inv":
			w.invoices[e.StreamName()].Apply(e)
		case "sub":
			w.subs[e.StreamName()].Apply(e)
		}
		w.log = append(w.log, e)
	}
}

var declineCodes = []string{"insufficient_funds", "do_not_honor", "expired_card", "try_again_later", "stolen_card"}

// step runs one random command on invoice id (creating it and its
// subscription on first use).
func (w *aggregateWorld) step(id string) {
	rng := w.rng
	stream := domain.InvoiceStream(id)
	inv := w.invoices[stream]
	if inv == nil {
		inv = &domain.Invoice{}
		w.invoices[stream] = inv
	}
	subID := "sub_" + id
	sub := w.subs[domain.SubscriptionStream(subID)]
	if sub == nil {
		sub = &domain.Subscription{}
		w.subs[domain.SubscriptionStream(subID)] = sub
		w.record(sub.Start(domain.SubscriptionStarted{Base: w.base(), SubscriptionID: subID, CustomerID: "cus_" + id,
			ProductID: fmt.Sprintf("prod_%d", rng.IntN(3)), PaymentMethodID: "pm_" + id, Amount: 4900, Currency: "usd",
			Interval: domain.Month, IntervalCount: 1}))
	}
	if !inv.Exists() {
		if rng.IntN(4) == 0 {
			w.record(inv.Create(domain.InvoiceCreated{Base: w.base(), InvoiceID: id, CustomerID: "cus_" + id, SubscriptionID: subID}))
			return
		}
		f := domain.InvoiceFinalized{Base: w.base(), InvoiceID: id, CustomerID: "cus_" + id, SubscriptionID: subID,
			ProductID: "prod_x", PaymentMethodID: "pm_" + id, Amount: []int64{0, 1000, 4900, 9999}[rng.IntN(4)], Currency: "usd",
			CollectionMethod: domain.ChargeAutomatically, AutoAdvance: rng.IntN(5) != 0, BillingReason: "subscription_cycle"}
		if rng.IntN(4) == 0 {
			due := w.now.Add(14 * 24 * time.Hour)
			f.CollectionMethod, f.DueDate, f.PaymentMethodID = domain.SendInvoice, &due, ""
		}
		w.record(inv.Finalize(f))
		return
	}
	at := w.tick()
	switch rng.IntN(16) {
	case 0, 1, 2, 3:
		a := domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, InvoiceID: id, PaymentMethodID: "pm_" + id,
			AttemptNumber: inv.AttemptCount + 1, Amount: inv.AmountRemaining, Currency: "usd", Outcome: domain.Failed,
			DeclineCode: declineCodes[rng.IntN(len(declineCodes))],
			Initiator:   []domain.Initiator{domain.InitiatorInitial, domain.InitiatorRetry, domain.InitiatorCustomer, domain.InitiatorManual}[rng.IntN(4)]}
		if rng.IntN(3) == 0 {
			a.Outcome, a.DeclineCode = domain.Succeeded, ""
			if rng.IntN(3) == 0 && a.Amount > 1 {
				a.Amount = 1 + rng.Int64N(a.Amount-1)
			}
		}
		if rng.IntN(4) == 0 {
			a.PaymentMethodID = "pm_new_" + id
		}
		w.record(inv.RecordAttempt(a))
	case 4:
		if inv.AmountRemaining > 0 {
			w.record(inv.ReceivePartialPayment(1+rng.Int64N(inv.AmountRemaining), at))
		}
	case 5:
		w.record(inv.Reconcile(at))
	case 6:
		w.record(inv.MarkUncollectible("past_due", at))
	case 7:
		w.record(inv.Void(at))
	case 8:
		w.record(inv.WriteOff(at))
	case 9:
		var uc *time.Time
		if rng.IntN(2) == 0 {
			t := at.Add(30 * 24 * time.Hour)
			uc = &t
		}
		w.record(inv.LeaveOverdue(uc, at))
	case 10:
		spec := domain.DefaultPresetSpec()
		w.record(inv.StartDunning(BuiltinDefaultPresetID, spec, domain.DefaultCollectionSettings(), at))
	case 11:
		r := domain.RetryScheduled{Base: domain.Base{OccurredAt: at}, At: at.Add(time.Duration(1+rng.IntN(72)) * time.Hour),
			Source: domain.SourceSchedule, Propensity: 1}
		if rng.IntN(5) == 0 {
			r.PaymentMethodID = "pm_retry_" + id
		}
		w.record(inv.ScheduleRetry(r))
	case 12:
		w.record(inv.BlockRetries("visa_category_1", at))
	case 13:
		w.record(inv.Exhaust(at))
	case 14:
		kinds := []domain.ReminderKind{domain.ReminderPaymentFailed, domain.ReminderBeforeDue, domain.ReminderAfterDue}
		w.record(inv.ScheduleReminder(kinds[rng.IntN(len(kinds))], at.Add(time.Duration(rng.IntN(96))*time.Hour), at))
	case 15:
		for _, r := range inv.Reminders {
			if !r.Sent {
				w.record(inv.RecordReminderSent(r, "email", "m_"+id, at))
				break
			}
		}
	}
	// The subscription follows its latest invoice now and then.
	switch rng.IntN(12) {
	case 0:
		w.record(sub.Pause("dunning", id, at))
	case 1:
		w.record(sub.MarkPastDue(id, at))
	case 2:
		w.record(sub.Resume("invoice_paid", id, at))
	case 3:
		if rng.IntN(3) == 0 {
			w.record(sub.Cancel("payment_failed", id, at))
		}
	}
}

// TestReadModelMatchesAggregates folds seeded random histories with the
// domain aggregates and projects the same events, incrementally and by a
// bulk rebuild: every invoice's and subscription's read model must agree
// with its aggregate on what both track.
func TestReadModelMatchesAggregates(t *testing.T) {
	for seed := range uint64(4) {
		w := newAggregateWorld(seed)
		ids := make([]string, 40)
		for i := range ids {
			ids[i] = fmt.Sprintf("in_%d_%02d", seed, i)
		}
		for range 1500 {
			w.step(ids[w.rng.IntN(len(ids))])
		}
		events := record(t, w.log)

		inc := openDB(t, t.TempDir())
		applyAll(t, Projections(inc), events, 1, 7, 3)
		bulk := openDB(t, t.TempDir())
		ps := Projections(bulk)
		for _, p := range ps {
			if err := p.Reset(context.Background()); err != nil {
				t.Fatal(err)
			}
			baseOf(p).bulkSpill = 7
		}
		applyAll(t, ps, events, 50)
		for name, db := range map[string]*DB{"incremental": inc, "bulk": bulk} {
			for stream, agg := range w.invoices {
				if !agg.Exists() {
					continue
				}
				r, err := db.Invoice(context.Background(), agg.ID)
				if err != nil {
					t.Fatalf("seed %d %s: %s: %v", seed, name, stream, err)
				}
				if diff := compareInvoice(agg, &r); diff != "" {
					t.Errorf("seed %d %s: invoice %s: %s\nevents:\n%s", seed, name, agg.ID, diff, streamLog(w.log, stream))
				}
			}
			for stream, agg := range w.subs {
				r, err := db.Subscription(context.Background(), agg.ID)
				if err != nil {
					t.Fatalf("seed %d %s: %s: %v", seed, name, stream, err)
				}
				if diff := compareSubscription(agg, &r); diff != "" {
					t.Errorf("seed %d %s: subscription %s: %s\nevents:\n%s", seed, name, agg.ID, diff, streamLog(w.log, stream))
				}
			}
		}
		inc.Close()
		bulk.Close()
	}
}

func streamLog(log []domain.Event, stream string) string {
	out := ""
	for _, e := range log {
		if e.StreamName() == stream {
			out += fmt.Sprintf("  %s %+v\n", e.EventType(), e)
		}
	}
	return out
}

type mismatch struct{ out string }

func (m *mismatch) check(field string, agg, rm any) {
	if fmt.Sprint(agg) != fmt.Sprint(rm) {
		m.out += fmt.Sprintf("\n  %s: aggregate %v, read model %v", field, agg, rm)
	}
}

func timeOf(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// compareInvoice compares what the Invoice aggregate and the read model
// both track.
func compareInvoice(a *domain.Invoice, r *Invoice) string {
	var m mismatch
	m.check("status", a.Status, r.Status)
	m.check("customer", a.CustomerID, r.Customer)
	m.check("subscription", a.SubscriptionID, r.Subscription)
	m.check("product", a.ProductID, r.Product)
	m.check("payment_method", a.PaymentMethodID, r.PaymentMethod)
	m.check("currency", a.Currency, r.Currency)
	m.check("collection_method", a.CollectionMethod, r.CollectionMethod)
	m.check("auto_advance", a.AutoAdvance, r.AutoAdvance)
	m.check("billing_reason", a.BillingReason, r.BillingReason)
	m.check("amount_due", a.AmountDue, r.AmountDue)
	m.check("amount_paid", a.AmountPaid, r.AmountPaid)
	m.check("amount_remaining", a.AmountRemaining, r.AmountRemaining)
	m.check("amount_credited", a.AmountCredited, r.AmountCredited)
	m.check("amount_written_off", a.AmountWrittenOff, r.AmountWrittenOff)
	m.check("attempt_count", a.AttemptCount, r.AttemptCount)
	m.check("attempted", a.AttemptCount > 0, r.Attempted)
	m.check("next_payment_attempt", timeOf(a.NextPaymentAttempt), timeOf(r.NextPaymentAttempt))
	m.check("due_date", timeOf(a.DueDate), timeOf(r.DueDate))
	if a.LastAttempt != nil {
		m.check("last_attempt_at", timeOf(&a.LastAttempt.OccurredAt), timeOf(r.LastAttemptAt))
	}
	m.check("left_overdue", a.LeftOverdue, r.Dunning.LeftOverdue)
	m.check("uncollectible_at", timeOf(a.UncollectibleAt), timeOf(r.Dunning.UncollectibleAt))
	state := DunningNone
	if run := a.Run; run != nil {
		m.check("dunning.preset_id", run.PresetID, r.Dunning.PresetID)
		m.check("dunning.started_at", timeOf(&run.StartedAt), timeOf(r.Dunning.StartedAt))
		switch {
		case !run.Ended:
			state = DunningActive
		case run.Exhausted && a.Status == domain.InvoicePaidStatus:
			state = DunningRecovered
		case run.Exhausted:
			state = DunningExhausted
		case a.Status == domain.InvoicePaidStatus:
			state = DunningRecovered
		default:
			state = DunningStopped
		}
		if run.Ended {
			m.check("dunning.ended_at", timeOf(&run.EndedAt), timeOf(r.Dunning.EndedAt))
		}
	}
	m.check("dunning.state", state, r.Dunning.State)
	sent := 0
	for _, rem := range a.Reminders {
		if rem.Sent {
			sent++
		}
	}
	m.check("dunning.reminders_sent", sent, r.Dunning.RemindersSent)
	var next *time.Time
	for _, rem := range a.Reminders {
		if !rem.Sent && (next == nil || rem.At.Before(*next)) {
			t := rem.At
			next = &t
		}
	}
	if a.Status == domain.InvoiceOpen || a.Status == domain.InvoiceDraft { // closed: the read model shows none pending
		m.check("dunning.next_reminder_at", timeOf(next), timeOf(r.Dunning.NextReminderAt))
	}
	return m.out
}

// compareSubscription compares what the Subscription aggregate and the
// read model both track.
func compareSubscription(a *domain.Subscription, r *Subscription) string {
	var m mismatch
	m.check("status", a.Status, r.Status)
	m.check("customer", a.CustomerID, r.Customer)
	m.check("product", a.ProductID, r.Product)
	m.check("payment_method", a.PaymentMethodID, r.PaymentMethod)
	m.check("amount", a.Amount, r.Amount)
	m.check("currency", a.Currency, r.Currency)
	m.check("interval", a.Interval, r.Interval)
	m.check("interval_count", a.IntervalCount, r.IntervalCount)
	m.check("canceled_at", timeOf(a.CanceledAt), timeOf(r.CanceledAt))
	if a.Status == domain.SubscriptionCanceledSt {
		m.check("cancellation_reason", a.Reason, r.CancelReason)
	}
	if a.Status != domain.SubscriptionPastDue {
		m.check("status_reason", a.Reason, r.StatusReason)
	} else {
		m.check("past_due_invoice", a.HeldBy, r.PastDueInvoice)
	}
	return m.out
}
