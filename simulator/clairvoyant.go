package simulator

import (
	"math"

	"github.com/recoupledger/recoup/domain"
)

// Clairvoyant is the upper bound: it knows every hidden draw of the
// invoice. If some allowed hour within the window would succeed, it
// retries there (one retry); otherwise it spends its budget on the
// earliest allowed attempts, whose reminders bring the customer's own
// card update forward as far as any policy can. No policy can recover an
// invoice it does not, so per invoice it bounds every policy's recovery.
type Clairvoyant struct {
	M *Model
}

func (c *Clairvoyant) Name() string { return "clairvoyant" }

// Run computes the bound's outcome for a case directly.
func (cv *Clairvoyant) Run(c *Case, b Budget) Outcome {
	m, h, inv := cv.M, &c.h, c.Inv
	H := b.Hours()
	out := Outcome{Amount: inv.Amount}
	forbidden, wait := sameCardRules(inv)
	// The first hour a retry would succeed, on the same card or, once
	// the updater has refreshed it, on the new one.
	lat := h.latent
	succ := math.Inf(1)
	if b.Retries > 0 {
		for s := 1; s <= H; s++ {
			newCard := h.updaterAt <= float64(s)
			if newCard {
				lat.updatedAt = h.updaterAt
			}
			if !newCard && (forbidden || s < wait) {
				continue
			}
			p, noise := m.approval(&lat, inv, s, newCard)
			if p > 0 && uniform(c.seed, c.pop, inv.Index, noise) < p {
				succ = float64(s)
				break
			}
		}
	}
	// The customer's update with the most reminders as early as allowed.
	cu := m.W.CustomerUpdate
	cust := math.Inf(1)
	if cu.PerDay > 0 && h.customerE < math.Inf(1) {
		hazard, now, rem := 0.0, 0.0, 1
		// The earliest attempts the rules allow: on the same card spaced by
		// its advice wait, on a refreshed card (new number) hourly.
		var attempts []float64
		t := wait
		if forbidden {
			t = H + 1
			if h.updaterAt <= float64(H) {
				t = int(math.Ceil(h.updaterAt))
			}
		}
		for len(attempts) < b.Retries && t <= H {
			attempts = append(attempts, float64(t))
			next := t + wait
			if float64(t) >= h.updaterAt {
				next = t + 1
			} else if h.updaterAt < float64(next) {
				next = max(t+1, int(math.Ceil(h.updaterAt)))
			}
			t = next
		}
		for _, s := range append(attempts, math.Inf(1)) {
			rate := cu.PerDay / 24 * (1 + cu.ReminderBoost*float64(rem))
			if t := now + (h.customerE-hazard)/rate; t <= s {
				cust = t
				break
			}
			hazard += rate * (s - now)
			now = s
			rem++
		}
	}
	at := math.Min(succ, cust)
	if at <= float64(H) {
		out.Recovered, out.At, out.ByCustomer = true, at, cust < succ
		if !out.ByCustomer {
			out.Retries = 1
		}
	}
	return out
}

// sameCardRules reads the first decline through the network rules:
// whether the card may not be retried, and the first hour a retry may
// happen.
func sameCardRules(inv *Invoice) (forbidden bool, wait int) {
	card := domain.CardHistory{Network: inv.Network, Attempts: []domain.CardAttempt{cardAttempt(inv, Attempt{0, inv.DeclineCode, inv.NetworkCode, inv.AdviceCode, false})}}
	t, _ := domain.EarliestRetry(card, inv.SlotTime(1))
	if t.IsZero() {
		return true, max(1, adviceWaitHours(inv.Network, inv.AdviceCode))
	}
	return false, max(1, int(math.Ceil(t.Sub(inv.FailedAt).Hours()-1e-9)))
}
