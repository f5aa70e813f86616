package simulator

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore"
)

// World facts happen at their own times; the queue orders them by time,
// then by sequence number, so a run is reproducible.
type worldKind int

const (
	kindSignup worldKind = iota
	kindRenew
	kindActivity
	kindUpdater
	kindCustomerPays
)

type worldEvent struct {
	at   time.Time
	ns   int64 // at in Unix nanoseconds: the queue's key, cheaper to compare
	seq  uint64
	kind worldKind
	cust *simCustomer
	inv  *simInvoice
	n    int // renewal number, activity number or customer version
}

type worldQueue []*worldEvent

func (q worldQueue) Len() int { return len(q) }
func (q worldQueue) Less(i, j int) bool {
	if q[i].ns != q[j].ns {
		return q[i].ns < q[j].ns
	}
	return q[i].seq < q[j].seq
}
func (q worldQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *worldQueue) Push(x any)   { *q = append(*q, x.(*worldEvent)) }
func (q *worldQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (s *Sim) push(e *worldEvent) {
	if e.at.After(s.end) {
		return
	}
	s.seq++
	e.seq, e.ns = s.seq, e.at.UnixNano()
	heap.Push(&s.queue, e)
}

// activityDays is how long after a failure card activity is recorded:
// the longest retry window evaluated.
const activityDays = 14

// setup records the catalogue and queues every customer's sign-up.
func (s *Sim) setup(ctx context.Context) error {
	b := domain.Base{OccurredAt: s.start}
	for _, p := range s.m.W.Plans {
		if err := s.stage(ctx, "product/"+p.Name, eventstore.NoStream, domain.ProductCreated{Base: b, ProductID: "prod_" + p.Name, Name: p.Name}); err != nil {
			return err
		}
	}
	if err := s.stage(ctx, "preset", eventstore.NoStream, domain.PresetCreated{Base: b, PresetID: "preset_default", Spec: *s.opt.Preset}); err != nil {
		return err
	}
	if err := s.stage(ctx, "settings", eventstore.NoStream,
		domain.DefaultPresetChanged{Base: b, PresetID: "preset_default"},
		domain.CollectionSettingsChanged{Base: b, Settings: domain.DefaultCollectionSettings()}); err != nil {
		return err
	}
	pop := &Population{M: s.m, Seed: s.opt.Seed, Pop: PopSimulate}
	signupSpan := min(s.opt.Days, 30)
	for i := range s.opt.Customers {
		c := &simCustomer{Customer: pop.Customer(uint64(i))}
		c.subID, c.pmID = "sub_"+c.ID[4:], "pm_"+c.ID[4:]
		c.product = "prod_" + c.Plan.Name
		r := newStream(s.opt.Seed, PopSimulate, uint64(i), purposeSimulate+100)
		c.anchor = s.start.Add(time.Duration(r.Float64()*float64(signupSpan)*24) * time.Hour)
		s.customers = append(s.customers, c)
		s.push(&worldEvent{at: c.anchor, kind: kindSignup, cust: c})
	}
	return nil
}

func (s *Sim) apply(ctx context.Context, e *worldEvent) error {
	switch e.kind {
	case kindSignup:
		return s.signup(ctx, e.cust, e.at)
	case kindRenew:
		return s.renew(ctx, e.cust, e.n, e.at)
	case kindActivity:
		s.Stats.CardActivity++
		return s.stage(ctx, fmt.Sprintf("activity/%s/%d", e.inv.inv.ID, e.n), eventstore.Any,
			domain.CardActivityObserved{Base: domain.Base{OccurredAt: e.at}, PaymentMethodID: e.cust.pmID,
				DeviceID: fmt.Sprintf("dev_%x", key(s.opt.Seed, PopSimulate, e.inv.idx, uint64(e.n))&0xfffff)})
	case kindUpdater:
		return s.cardUpdate(ctx, e.inv, e.at, domain.UpdatedByAccountUpdater)
	case kindCustomerPays:
		if e.n != e.inv.custVer || e.inv.done {
			return nil // rescheduled by a later reminder, or settled
		}
		return s.customerPays(ctx, e.inv, e.at)
	}
	return nil
}

func (s *Sim) signup(ctx context.Context, c *simCustomer, at time.Time) error {
	b := domain.Base{OccurredAt: at}
	if err := s.stage(ctx, "customer/"+c.ID, eventstore.NoStream,
		domain.CustomerRegistered{Base: b, CustomerID: c.ID, Email: c.ID + "@example.test", Country: c.Country, TimeZone: c.TimeZone}); err != nil {
		return err
	}
	if err := s.stage(ctx, "pm/"+c.pmID, eventstore.NoStream,
		domain.PaymentMethodAttached{Base: b, PaymentMethodID: c.pmID, CustomerID: c.ID, Network: c.Network, Funding: c.Funding,
			Country: c.Country, ExpMonth: 1 + int(c.Index%12), ExpYear: at.Year() + 3, Last4: fmt.Sprintf("%04d", c.Index%10000), Default: true}); err != nil {
		return err
	}
	if err := s.stage(ctx, "sub/"+c.subID, eventstore.NoStream,
		domain.SubscriptionStarted{Base: b, SubscriptionID: c.subID, CustomerID: c.ID, ProductID: c.product, PaymentMethodID: c.pmID,
			Amount: c.Plan.Amount, Currency: c.Plan.Currency, Interval: domain.Interval(c.Plan.Interval), IntervalCount: c.Plan.IntervalCount}); err != nil {
		return err
	}
	return s.renew(ctx, c, 0, at)
}

// renew bills period n of a subscription that is still active (a paused
// subscription skips the period; a canceled one stops).
func (s *Sim) renew(ctx context.Context, c *simCustomer, n int, at time.Time) error {
	if n > 0 {
		// The engine knows the subscription's state (its own decisions
		// included, written or not) without a read of the store.
		switch s.eng.SubscriptionStatus(c.subID) {
		case domain.SubscriptionCanceledSt:
			return nil
		case domain.SubscriptionPausedSt:
			s.Stats.SkippedRenews++
			s.scheduleRenewal(c, n+1)
			return nil
		}
	}
	s.Stats.Renewals++
	id := fmt.Sprintf("in_%s_%03d", c.ID[4:], n)
	idx := c.Index<<12 | uint64(n)
	si := &simInvoice{cust: c, idx: idx, updatedAt: -1}
	si.inv = Invoice{Index: idx, ID: id, Country: c.Country, TimeZone: c.TimeZone, loc: s.m.countries[c.country].loc, country: c.country,
		Funding: c.Funding, Network: c.Network, Plan: c.Plan.Name, Amount: c.Plan.Amount, Currency: c.Plan.Currency, Interval: domain.Interval(c.Plan.Interval)}
	s.invoices[id] = si
	reason := "subscription_cycle"
	if n == 0 {
		reason = "subscription_create"
	}
	fin := domain.InvoiceFinalized{Base: domain.Base{OccurredAt: at}, InvoiceID: id, CustomerID: c.ID, SubscriptionID: c.subID, ProductID: c.product,
		PaymentMethodID: c.pmID, Amount: c.Plan.Amount, Currency: c.Plan.Currency, CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: reason}
	evs, err := (&domain.Invoice{}).Finalize(fin)
	if err != nil {
		return fmt.Errorf("simulate: finalize %s: %w", id, err)
	}
	if err := s.stage(ctx, "invoice/"+id, eventstore.NoStream, evs...); err != nil {
		return err
	}
	s.scheduleRenewal(c, n+1)
	return nil
}

func (s *Sim) scheduleRenewal(c *simCustomer, n int) {
	months := c.Plan.IntervalCount * n
	if c.Plan.Interval == string(domain.Year) {
		months *= 12
	}
	s.push(&worldEvent{at: c.anchor.AddDate(0, months, 0), kind: kindRenew, cust: c, n: n})
}

// Charge answers the engine's charge of an invoice: the first attempt is
// declined with the customer's decline probability, and a declined
// invoice's later attempts follow its hidden recovery process. Repeated
// idempotency keys get the first answer.
func (s *Sim) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	s.chargeMu.Lock()
	defer s.chargeMu.Unlock()
	if r, ok := s.charges[req.IdempotencyKey]; ok {
		return r, nil
	}
	si := s.invoices[req.InvoiceID]
	if si == nil {
		return ChargeResult{}, fmt.Errorf("simulate: charge of unknown invoice %q", req.InvoiceID)
	}
	s.Stats.Charges++
	res := ChargeResult{ChargeID: "ch_" + strings.ReplaceAll(req.IdempotencyKey, "/", "_")}
	switch {
	case si.done:
		// Paid meanwhile by the customer. The engine applies that payment
		// before it acts again, so this is not reached; a card charged
		// twice would be charged, as a processor would.
		res.Succeeded = true
	case !si.declined:
		if uniform(s.opt.Seed, PopSimulate, si.idx, 1<<50) >= s.m.DeclineProb(si.cust.Customer) {
			res.Succeeded = true
			break
		}
		s.decline(si, req.At)
		res.DeclineCode, res.NetworkDeclineCode, res.AdviceCode = si.inv.DeclineCode, si.inv.NetworkCode, si.inv.AdviceCode
	default:
		res.Succeeded = s.outcome(si, req.At)
		if !res.Succeeded {
			res.DeclineCode, res.NetworkDeclineCode, res.AdviceCode = si.inv.DeclineCode, si.inv.NetworkCode, si.inv.AdviceCode
			if si.updatedAt >= 0 {
				res.DeclineCode, res.NetworkDeclineCode, res.AdviceCode = "do_not_honor", "05", ""
			}
			s.reminded(si, req.At)
		}
	}
	if res.Succeeded {
		si.done = true
	}
	s.charges[req.IdempotencyKey] = res
	return res, nil
}

// decline draws the invoice's hidden fate at its first failure and
// queues the world's facts that follow: card activity, the account
// updater, the customer's own update.
func (s *Sim) decline(si *simInvoice, at time.Time) {
	s.Stats.Declines++
	m, c := s.m, si.cust
	si.declined = true
	si.inv.FailedAt = at
	si.inv.localHour0 = at.In(si.inv.loc).Hour()
	r := newStream(s.opt.Seed, PopSimulate, si.idx, purposeDraw)
	fi := indexOf(Fundings, string(c.Funding))
	ri := r.pick(m.reasonCum[fi])
	si.inv.Reason = Reasons[ri]
	si.inv.DeclineCode = m.codes[ri][r.pick(m.codeCum[ri])]
	info, _ := domain.Decline(si.inv.DeclineCode)
	si.inv.NetworkCode = info.NetworkCode
	h := &si.h
	h.cause = Cause(r.pick(m.causeCum[ri]))
	if c.Network == domain.Mastercard {
		si.inv.AdviceCode = m.advice[h.cause][r.pick(m.adviceCum[h.cause])]
	}
	h.frailty = c.frailty
	m.drawLatent(&r, &si.inv, h, ReplayHorizon)
	if h.cause == CauseFunds {
		// The customer's own pay schedule, not a fresh draw.
		h.variant = c.variant
		v := m.countries[c.country].variants[c.variant]
		h.deposits = depositSlots(v.schedule, v.phase, at, si.inv.loc, m.W.Causes.Funds.DepositHour, ReplayHorizon)
	}
	cs := &Case{Inv: &si.inv, h: *h, seed: s.opt.Seed, pop: PopSimulate}
	for n, t := range cs.Activity(m) {
		if t > activityDays*24 {
			break
		}
		s.push(&worldEvent{at: si.inv.SlotTime(t), kind: kindActivity, cust: c, inv: si, n: n})
	}
	if h.updaterAt <= float64(ReplayHorizon) {
		s.push(&worldEvent{at: si.inv.SlotTime(h.updaterAt), kind: kindUpdater, cust: c, inv: si})
	}
	si.reminders = 1
	s.scheduleCustomer(si)
}

// reminded counts a failed retry's reminder, which raises the customer's
// update rate from now on.
func (s *Sim) reminded(si *simInvoice, at time.Time) {
	now := at.Sub(si.inv.FailedAt).Hours()
	if now > si.hazAt {
		si.hazard += s.customerRate(si) * (now - si.hazAt)
		si.hazAt = now
	}
	si.reminders++
	s.scheduleCustomer(si)
}

func (s *Sim) customerRate(si *simInvoice) float64 {
	cu := s.m.W.CustomerUpdate
	return cu.PerDay / 24 * (1 + cu.ReminderBoost*float64(si.reminders))
}

// scheduleCustomer queues the customer's update at the rate in force
// since the last reminder; an earlier queued update becomes stale.
func (s *Sim) scheduleCustomer(si *simInvoice) {
	si.custVer++
	rate := s.customerRate(si)
	if rate <= 0 || math.IsInf(si.h.customerE, 1) {
		return
	}
	t := si.hazAt + (si.h.customerE-si.hazard)/rate
	if t <= float64(ReplayHorizon) {
		s.push(&worldEvent{at: si.inv.SlotTime(t), kind: kindCustomerPays, cust: si.cust, inv: si, n: si.custVer})
	}
}

// cardUpdate records new card credentials (a new number).
func (s *Sim) cardUpdate(ctx context.Context, si *simInvoice, at time.Time, src domain.UpdateSource) error {
	c := si.cust
	c.pmNumber++
	s.Stats.CardUpdates++
	if si.updatedAt < 0 {
		si.updatedAt = at.Sub(si.inv.FailedAt).Hours()
	}
	return s.stage(ctx, fmt.Sprintf("pm/%s/update/%d", c.pmID, c.pmNumber), eventstore.Any,
		domain.PaymentMethodUpdated{Base: domain.Base{OccurredAt: at}, PaymentMethodID: c.pmID, CustomerID: c.ID, Source: src,
			ExpMonth: 1 + int((c.Index+uint64(c.pmNumber))%12), ExpYear: at.Year() + 4, Last4: fmt.Sprintf("%04d", (c.Index*7+uint64(c.pmNumber))%10000), NewNumber: true})
}

// customerPays: the customer puts in a new card and pays the invoice
// themselves, if it is still payable. The payment depends on the
// invoice's history, which the engine holds whole (its decisions and the
// world's facts, written or staged): the payment is recorded at the exact
// revision that history leaves the stream at.
func (s *Sim) customerPays(ctx context.Context, si *simInvoice, at time.Time) error {
	inv := s.eng.Invoice(si.inv.ID)
	if inv == nil {
		return fmt.Errorf("simulate: customer payment of %s: the engine does not know the invoice", si.inv.ID)
	}
	if inv.Status != domain.InvoiceOpen && inv.Status != domain.InvoiceUncollectible {
		si.done = true
		return nil
	}
	if err := s.cardUpdate(ctx, si, at, domain.UpdatedByCustomer); err != nil {
		return err
	}
	out, err := inv.RecordAttempt(domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, InvoiceID: si.inv.ID, PaymentMethodID: si.cust.pmID,
		AttemptNumber: inv.AttemptCount + 1, Amount: inv.AmountRemaining, Currency: inv.Currency, Outcome: domain.Succeeded,
		Network: si.cust.Network, Funding: si.cust.Funding, Initiator: domain.InitiatorCustomer, ChargeID: "ch_" + si.inv.ID + "_customer"})
	if err != nil {
		return fmt.Errorf("simulate: customer payment of %s: %w", si.inv.ID, err)
	}
	if err := s.stage(ctx, "invoice/"+si.inv.ID+"/customer", eventstore.Exact(uint64(inv.Version-1)), out...); err != nil {
		return err
	}
	si.done = true
	s.Stats.CustomerPays++
	return nil
}
