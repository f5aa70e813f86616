package simulator

import (
	"math"
	"strconv"

	"github.com/recoupledger/recoup/domain"
)

// Budget is a retry budget: at most Retries retries within WindowDays of
// the failed first attempt.
type Budget struct {
	Retries    int `json:"retries"`
	WindowDays int `json:"window_days"`
}

// Hours is the window in hours: the last slot a retry may use.
func (b Budget) Hours() int { return b.WindowDays * 24 }

func (b Budget) String() string {
	return strconv.Itoa(b.Retries) + " retries / " + strconv.Itoa(b.WindowDays) + " days"
}

// Attempt is one failed attempt as the ledger records it.
type Attempt struct {
	Slot        float64 // hours after the first failure (0 for it)
	DeclineCode string
	NetworkCode string
	AdviceCode  string
	NewCard     bool // made on credentials updated after the failure
}

// Observation is what a policy may know when it plans: the invoice's
// observable facts and its history up to Now, never the hidden state.
type Observation struct {
	Inv    *Invoice
	Budget Budget
	// Now is the current time in hours after the first failure.
	Now         float64
	Attempts    []Attempt // failed attempts, oldest first; [0] is the first charge
	RetriesLeft int
	// UpdatedAt is when the card was updated (hours), or -1.
	UpdatedAt float64
	Reminders int
	// Decision counts Plan calls for this invoice (0 on the first).
	Decision int
	// Memo is the policy's own per-invoice scratch space; the replay
	// resets it for every invoice.
	Memo any

	c    *Case
	m    *Model
	card *domain.CardHistory
}

// Activity returns the card activity times (hours after the failure)
// observed before Now.
func (o *Observation) Activity() []float64 {
	all := o.c.Activity(o.m)
	n := 0
	for n < len(all) && all[n] < o.Now {
		n++
	}
	return all[:n]
}

// Window is the last slot the budget allows.
func (o *Observation) Window() int { return o.Budget.Hours() }

// NextSlot is the first whole slot after Now.
func (o *Observation) NextSlot() int { return int(math.Floor(o.Now)) + 1 }

// Earliest returns the first slot ≥ from (and after Now) at which the
// network rules let the card be retried, or false if they forbid
// retrying this card (until new credentials arrive).
func (o *Observation) Earliest(from int) (int, bool) {
	from = max(from, o.NextSlot())
	t, _ := domain.EarliestRetry(*o.card, o.Inv.SlotTime(float64(from)))
	if t.IsZero() {
		return 0, false
	}
	h := t.Sub(o.Inv.FailedAt).Hours()
	s := int(math.Ceil(h - 1e-9))
	return max(s, from), true
}

// Policy chooses retry times. Plan returns the slot (whole hours after the
// first failure, > o.Now, ≤ the window) of the next retry, or false to
// stop. The replay calls Plan after the first failure, after every failed
// retry and when new card credentials arrive. Policies must be safe for
// concurrent use; per-invoice state goes in o.Memo.
type Policy interface {
	Name() string
	Plan(o *Observation) (slot int, ok bool)
}

// Outcome is what happened to one invoice under one policy.
type Outcome struct {
	Recovered  bool
	ByCustomer bool    // paid by the customer after updating their card
	At         float64 // hours after the first failure, when recovered
	Retries    int
	Violations int
	Amount     int64
}

// Replayer runs policies on cases. It is cheap; use one per goroutine.
type Replayer struct {
	M    *Model
	obs  Observation
	card domain.CardHistory
}

// ReplayHorizon is the horizon (hours) hidden processes are drawn for:
// the longest window a budget may use.
const ReplayHorizon = 30 * 24

// Run takes one failed invoice through a policy within a budget.
func (r *Replayer) Run(c *Case, p Policy, b Budget) Outcome {
	m, h, inv := r.M, &c.h, c.Inv
	H := float64(b.Hours())
	o := &r.obs
	*o = Observation{Inv: inv, Budget: b, Attempts: o.Attempts[:0], RetriesLeft: b.Retries, UpdatedAt: -1, Reminders: 1, c: c, m: m, card: &r.card}
	first := Attempt{0, inv.DeclineCode, inv.NetworkCode, inv.AdviceCode, false}
	o.Attempts = append(o.Attempts, first)
	r.card = domain.CardHistory{PaymentMethodID: "pm_" + inv.ID, Network: inv.Network, Attempts: append(r.card.Attempts[:0], cardAttempt(inv, first))}
	out := Outcome{Amount: inv.Amount}
	lat := h.latent
	hazard := 0.0 // customer's cumulative update hazard so far
	cu := m.W.CustomerUpdate
	askPolicy := true
	for {
		target := math.Inf(1)
		if askPolicy && o.RetriesLeft > 0 {
			if s, ok := p.Plan(o); ok {
				if float64(s) > o.Now && float64(s) <= H {
					target = float64(s)
				}
			}
			o.Decision++
		}
		askPolicy = false
		rate := cu.PerDay / 24 * (1 + cu.ReminderBoost*float64(o.Reminders))
		tCust := math.Inf(1)
		if rate > 0 {
			tCust = o.Now + (h.customerE-hazard)/rate
		}
		tUpd := math.Inf(1)
		if o.UpdatedAt < 0 && h.updaterAt > o.Now {
			tUpd = h.updaterAt
		}
		next := math.Min(target, math.Min(tCust, tUpd))
		if next > H {
			return out
		}
		hazard += rate * (next - o.Now)
		o.Now = next
		switch next {
		case tCust:
			out.Recovered, out.ByCustomer, out.At = true, true, next
			return out
		case tUpd:
			// The updater brings a new card number: eligibility restarts.
			o.UpdatedAt, lat.updatedAt = next, next
			r.card.Attempts = r.card.Attempts[:0]
			askPolicy = true
			continue
		}
		slot := int(next)
		newCard := o.UpdatedAt >= 0
		if ok, _, _ := domain.RetryAllowed(r.card, inv.SlotTime(next)); !ok {
			out.Violations++
		}
		out.Retries++
		o.RetriesLeft--
		pr, noise := m.approval(&lat, inv, slot, newCard)
		if pr > 0 && uniform(c.seed, c.pop, inv.Index, noise) < pr {
			out.Recovered, out.At = true, next
			return out
		}
		a := Attempt{Slot: next, DeclineCode: inv.DeclineCode, NetworkCode: inv.NetworkCode, AdviceCode: inv.AdviceCode, NewCard: newCard}
		if newCard {
			a.DeclineCode, a.NetworkCode, a.AdviceCode = "do_not_honor", "05", ""
		}
		o.Attempts = append(o.Attempts, a)
		r.card.Add(cardAttempt(inv, a))
		o.Reminders++
		askPolicy = true
	}
}
