package backtest

import (
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Invoice is one failed invoice of the history with its observed outcome.
type Invoice struct {
	ID             string
	CustomerID     string // the unit the sampling bootstrap draws
	SubscriptionID string
	Amount         int64
	FailedAt       time.Time
	First          smartretry.Attempt
	Preset         domain.PresetSpec // the preset its run used
	// Observed outcome under the preset actually used, within its window.
	Recovered  bool
	ByCustomer bool
	RecoveredH float64 // hours after the failure
	Retries    int
	RetryH     []float64 // hours after the failure of each retry, in order
	Churned    bool
	// Reminders sent by the first decision.
	Reminders0 int
}

// Population lists the ledger's failed invoices that went into dunning.
func Population(l *smartretry.Ledger) []Invoice {
	var out []Invoice
	for _, id := range l.Order {
		h := l.Invoices[id]
		if !h.Failed() {
			continue
		}
		first := h.Attempts[0]
		inv := Invoice{ID: id, CustomerID: h.Finalized.CustomerID, SubscriptionID: h.Finalized.SubscriptionID, Amount: h.Finalized.Amount, FailedAt: first.OccurredAt,
			First: smartretry.Attempt{At: first.OccurredAt, DeclineCode: first.DeclineCode, AdviceCode: first.AdviceCode}}
		if first.Amount > 0 {
			inv.Amount = first.Amount
		}
		inv.Preset = domain.DefaultPresetSpec()
		if h.Dunning != nil {
			inv.Preset = h.Dunning.Preset
		}
		_, window := smartretry.Budget(inv.Preset)
		end := inv.FailedAt.Add(window)
		for _, a := range h.Attempts[1:] {
			if a.OccurredAt.After(end) {
				break
			}
			if a.Initiator == domain.InitiatorRetry || a.Initiator == domain.InitiatorManual {
				inv.Retries++
				inv.RetryH = append(inv.RetryH, a.OccurredAt.Sub(inv.FailedAt).Hours())
			}
			if a.Outcome == domain.Succeeded {
				inv.Recovered = true
				inv.ByCustomer = a.Initiator == domain.InitiatorCustomer
				inv.RecoveredH = a.OccurredAt.Sub(inv.FailedAt).Hours()
				break
			}
		}
		if !inv.Recovered && !h.PaidAt.IsZero() && !h.PaidAt.After(end) {
			inv.Recovered, inv.ByCustomer = true, true
			inv.RecoveredH = h.PaidAt.Sub(inv.FailedAt).Hours()
		}
		if _, ok := l.ChurnedAt[inv.SubscriptionID]; ok && inv.SubscriptionID != "" {
			inv.Churned = true
		}
		for _, r := range h.Reminders {
			if !r.After(inv.FailedAt.Add(time.Hour)) {
				inv.Reminders0++
			}
		}
		out = append(out, inv)
	}
	return out
}
