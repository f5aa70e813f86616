package simulator

import (
	"fmt"
	"math"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Invoice is a failed renewal as the ledger sees it: everything here is
// observable. The hidden state that decides its fate lives in Case.
type Invoice struct {
	Index    uint64 // position in its population; keys its random streams
	ID       string
	Country  string
	TimeZone string
	loc      *time.Location
	country  int
	Funding  domain.Funding
	Network  domain.Network
	Plan     string
	Amount   int64
	Currency string
	Interval domain.Interval
	// FailedAt is the failed first attempt; slots are hours after it.
	FailedAt   time.Time
	localHour0 int

	Reason      string
	DeclineCode string
	NetworkCode string
	AdviceCode  string // Mastercard only
}

// LocalHour is the customer's local hour at a slot.
func (inv *Invoice) LocalHour(slot int) int { return (inv.localHour0 + slot) % 24 }

// SlotTime is the wall time of a slot.
func (inv *Invoice) SlotTime(slot float64) time.Time {
	return inv.FailedAt.Add(time.Duration(slot * float64(time.Hour)))
}

// latent is the hidden state that sets the approval chance of every slot.
type latent struct {
	cause   Cause
	alive   bool
	frailty int // level index
	cure    int // hold/technical: cure slot (math.MaxInt32 = never)
	variant int // funds: payday variant of the customer's country
	// deposits are the funds cause's pay deposit slots within the horizon.
	deposits []int
	// updatedAt is the slot the card was updated (update causes), or -1.
	updatedAt float64
}

// hidden is an invoice's whole hidden state.
type hidden struct {
	latent
	// updaterAt is when the account updater refreshes the card (hours),
	// +Inf if never.
	updaterAt float64
	// customerE is the Exp(1) threshold of the customer's cumulative
	// update hazard, +Inf for a customer who will not.
	customerE float64
}

// Case is one failed invoice with its hidden state, as a replay runs it.
type Case struct {
	Inv  *Invoice
	h    hidden
	seed uint64
	pop  uint64
	// activity are card activity times (hours after the failure), drawn
	// on first use up to the horizon.
	activity []float64
	actDrawn bool
}

// Population draws failed invoices reproducibly: invoice i of population
// pop under seed is always the same.
type Population struct {
	M    *Model
	Seed uint64
	Pop  uint64
}

// Case draws failed invoice i.
func (p *Population) Case(i uint64) *Case {
	m := p.M
	r := newStream(p.Seed, p.Pop, i, purposeDraw)
	inv := &Invoice{Index: i, ID: fmt.Sprintf("in_%d_%08d", p.Pop, i)}
	c := &Case{Inv: inv, seed: p.Seed, pop: p.Pop}
	inv.country = r.pick(m.countryCum)
	cm := &m.countries[inv.country]
	inv.Country, inv.TimeZone, inv.loc = cm.Code, cm.TimeZone, cm.loc
	// Failed invoices over-represent fundings that decline more.
	fi := m.failedFunding(&r)
	inv.Funding = domain.Funding(Fundings[fi])
	inv.Network = domain.Network(Networks[r.pick(m.networkCum)])
	pl := m.W.Plans[r.pick(m.planCum)]
	inv.Plan, inv.Amount, inv.Currency, inv.Interval = pl.Name, pl.Amount, pl.Currency, domain.Interval(pl.Interval)
	day := int(r.Float64() * float64(m.W.SpanDays))
	hour := int(r.Float64() * 24)
	inv.FailedAt = m.start.Add(time.Duration(day*24+hour) * time.Hour)
	inv.localHour0 = inv.FailedAt.In(inv.loc).Hour()

	ri := r.pick(m.reasonCum[fi])
	inv.Reason = Reasons[ri]
	inv.DeclineCode = m.codes[ri][r.pick(m.codeCum[ri])]
	info, _ := domain.Decline(inv.DeclineCode)
	inv.NetworkCode = info.NetworkCode
	h := &c.h
	h.cause = Cause(r.pick(m.causeCum[ri]))
	if inv.Network == domain.Mastercard {
		inv.AdviceCode = m.advice[h.cause][r.pick(m.adviceCum[h.cause])]
	}
	h.frailty = r.pick(cumulative(m.frailtyGivenFail))
	m.drawLatent(&r, inv, h, ReplayHorizon)
	return c
}

// failedFunding draws a funding type conditional on a first-attempt
// decline: share × decline rate.
func (m *Model) failedFunding(r *stream) int {
	var ps [3]float64
	for i, f := range Fundings {
		ps[i] = m.W.Funding[f] * m.W.DeclineRate[f]
	}
	return r.pick(cumulative(ps[:]))
}

func (m *Model) drawLatent(r *stream, inv *Invoice, h *hidden, horizon int) {
	h.cure = math.MaxInt32
	h.updatedAt = -1
	h.updaterAt = math.Inf(1)
	h.customerE = math.Inf(1)
	z := m.frailty[h.frailty]
	switch h.cause {
	case CauseFunds:
		h.alive = r.Float64() < m.W.Causes.Funds.Alive
		cm := &m.countries[inv.country]
		h.variant = r.pick(cm.cum)
		v := cm.variants[h.variant]
		h.deposits = depositSlots(v.schedule, v.phase, inv.FailedAt, inv.loc, m.W.Causes.Funds.DepositHour, horizon)
	case CauseHold, CauseTechnical:
		cc := m.cure(h.cause)
		h.alive = r.Float64() < cc.Alive
		x := r.exp() * cc.HalfLifeHours[string(inv.Funding)] / math.Ln2 * z
		g := cc.GridHours
		if h.alive && x < float64(horizon+g) {
			h.cure = g * (1 + int(x/float64(g)))
		}
	case CauseHard, CauseCardData:
		uc := m.update(h.cause)
		h.alive = r.Float64() < uc.Alive
		if r.Float64() < uc.UpdaterShare {
			h.updaterAt = r.exp() * uc.UpdaterMeanDays * 24
		}
	}
	if h.alive {
		h.customerE = r.exp()
	}
}
