package smartsim

import (
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// record writes one replayed run as ledger events: the customer and card,
// the invoice and its failed first charge, each retry with the decision
// that scheduled it (source and propensity), the reminders the engine
// sends after each failure, card activity and updates, and the end: paid
// by a retry, paid by the customer, or given up.
func record(l *smartretry.Ledger, m *simulator.Model, c *simulator.Case, b simulator.Budget, preset domain.PresetSpec, pol *capture, out simulator.Outcome) {
	inv := c.Inv
	cust, pm, sub := "cus_"+inv.ID, "pm_"+inv.ID, "sub_"+inv.ID
	at := inv.SlotTime
	base := func(t time.Time) domain.Base { return domain.Base{OccurredAt: t} }
	l.Add(domain.CustomerRegistered{Base: base(inv.FailedAt.Add(-30 * 24 * time.Hour)), CustomerID: cust, Country: inv.Country, TimeZone: inv.TimeZone})
	l.Add(domain.PaymentMethodAttached{Base: base(inv.FailedAt.Add(-30 * 24 * time.Hour)), PaymentMethodID: pm, CustomerID: cust, Network: inv.Network, Funding: inv.Funding, Country: inv.Country, Default: true})
	l.Add(domain.InvoiceFinalized{Base: base(inv.FailedAt), InvoiceID: inv.ID, CustomerID: cust, SubscriptionID: sub, PaymentMethodID: pm,
		Amount: inv.Amount, Currency: inv.Currency, CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"})
	attempt := func(n int, slot float64, a simulator.Attempt, ok bool, ini domain.Initiator, d *decision) {
		e := domain.PaymentAttempted{Base: base(at(slot)), InvoiceID: inv.ID, PaymentMethodID: pm, AttemptNumber: n, Amount: inv.Amount, Currency: inv.Currency,
			Outcome: domain.Failed, Network: inv.Network, Funding: inv.Funding, Initiator: ini}
		if ok {
			e.Outcome = domain.Succeeded
		} else {
			e.DeclineCode, e.NetworkDeclineCode, e.AdviceCode = a.DeclineCode, a.NetworkCode, a.AdviceCode
		}
		if d != nil {
			l.Add(domain.RetryScheduled{Base: base(at(d.at)), InvoiceID: inv.ID, AttemptNumber: n, At: at(slot), Source: d.source, Propensity: d.propensity})
			e.Source, e.Propensity = d.source, d.propensity
		}
		l.Add(e)
	}
	attempts := pol.attempts
	if len(attempts) == 0 { // the policy was never asked (nothing to retry)
		attempts = []simulator.Attempt{{Slot: 0, DeclineCode: inv.DeclineCode, NetworkCode: inv.NetworkCode, AdviceCode: inv.AdviceCode}}
	}
	// The replay does not ask the policy again after its last retry
	// fails, so that attempt is not in the captured observation: restore
	// it from the decision that scheduled it.
	failedRetries := out.Retries
	if out.Recovered && !out.ByCustomer {
		failedRetries--
	}
	if len(attempts)-1 < failedRetries && pol.memo != nil {
		if d, ok := pol.memo.decisions[len(attempts)]; ok {
			a := simulator.Attempt{Slot: float64(d.slot), DeclineCode: inv.DeclineCode, NetworkCode: inv.NetworkCode, AdviceCode: inv.AdviceCode}
			if pol.updated >= 0 && pol.updated < a.Slot {
				a.DeclineCode, a.NetworkCode, a.AdviceCode, a.NewCard = "do_not_honor", "05", "", true
			}
			attempts = append(append([]simulator.Attempt(nil), attempts...), a)
		}
	}
	attempt(1, 0, attempts[0], false, domain.InitiatorInitial, nil)
	l.Add(domain.DunningStarted{Base: base(inv.FailedAt), InvoiceID: inv.ID, SubscriptionID: sub, PresetID: "history", Preset: preset, Settings: domain.DefaultCollectionSettings()})
	l.Add(domain.ReminderSent{Base: base(inv.FailedAt), InvoiceID: inv.ID, Kind: domain.ReminderPaymentFailed, Channel: "email"})
	decisionFor := func(k int) *decision {
		if pol.memo == nil {
			return nil
		}
		if d, ok := pol.memo.decisions[k]; ok {
			return &d
		}
		return nil
	}
	for k := 1; k < len(attempts); k++ {
		a := attempts[k]
		attempt(k+1, a.Slot, a, false, domain.InitiatorRetry, decisionFor(k))
		l.Add(domain.ReminderSent{Base: base(at(a.Slot)), InvoiceID: inv.ID, Kind: domain.ReminderPaymentFailed, Channel: "email"})
	}
	end := float64(b.Hours())
	if out.Recovered {
		end = out.At
	}
	if pol.updated >= 0 && pol.updated <= end {
		l.Add(domain.PaymentMethodUpdated{Base: base(at(pol.updated)), PaymentMethodID: pm, CustomerID: cust, Source: domain.UpdatedByAccountUpdater, NewNumber: true})
	}
	for _, h := range c.Activity(m) {
		if h > end {
			break
		}
		l.Add(domain.CardActivityObserved{Base: base(at(h)), PaymentMethodID: pm, DeviceID: "dev"})
	}
	n := len(attempts) + 1
	switch {
	case out.Recovered && out.ByCustomer:
		l.Add(domain.PaymentMethodUpdated{Base: base(at(out.At)), PaymentMethodID: pm, CustomerID: cust, Source: domain.UpdatedByCustomer, NewNumber: true})
		attempt(n, out.At, simulator.Attempt{}, true, domain.InitiatorCustomer, nil)
	case out.Recovered:
		attempt(n, out.At, simulator.Attempt{}, true, domain.InitiatorRetry, decisionFor(len(attempts)))
	}
	if out.Recovered {
		l.Add(domain.PaymentSucceeded{Base: base(at(out.At)), InvoiceID: inv.ID, Amount: inv.Amount, AttemptNumber: n})
		l.Add(domain.InvoicePaid{Base: base(at(out.At)), InvoiceID: inv.ID, AmountPaid: inv.Amount})
		return
	}
	l.Add(domain.DunningExhausted{Base: base(at(end)), InvoiceID: inv.ID, Attempts: len(attempts)})
	if preset.AfterSub == domain.AfterCancel {
		l.Add(domain.SubscriptionCanceled{Base: base(at(end)), SubscriptionID: sub, Reason: "payment_failed", InvoiceID: inv.ID})
	}
}
