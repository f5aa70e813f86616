package simulator

import (
	"fmt"

	"github.com/recoupledger/recoup/domain"
)

// Customer is a subscriber of a world: where they live, their card and
// plan (observable), and their frailty and pay schedule (hidden).
type Customer struct {
	Index    uint64
	ID       string
	Country  string
	TimeZone string
	country  int
	Funding  domain.Funding
	Network  domain.Network
	Plan     Plan
	// frailty is the level index; variant the payday schedule of the
	// customer's country.
	frailty int
	variant int
}

// Customer draws customer i of the population (a renewing subscriber,
// before any failure).
func (p *Population) Customer(i uint64) *Customer {
	m := p.M
	r := newStream(p.Seed, p.Pop, i, purposeSimulate)
	c := &Customer{Index: i, ID: fmt.Sprintf("cus_%d_%07d", p.Pop, i)}
	c.country = r.pick(m.countryCum)
	cm := &m.countries[c.country]
	c.Country, c.TimeZone = cm.Code, cm.TimeZone
	c.Funding = domain.Funding(Fundings[r.pick(m.fundingCum)])
	c.Network = domain.Network(Networks[r.pick(m.networkCum)])
	c.Plan = m.W.Plans[r.pick(m.planCum)]
	c.frailty = r.pick(m.frailtyCum)
	c.variant = r.pick(cm.cum)
	return c
}

// DeclineProb is the chance that a renewal charge of the customer is
// declined on its first attempt: the funding's rate times frailty.
func (m *Model) DeclineProb(c *Customer) float64 {
	return m.W.DeclineRate[string(c.Funding)] * m.frailty[c.frailty]
}

// PaydaySchedule is the customer's pay schedule (hidden from the ledger).
func (m *Model) PaydaySchedule(c *Customer) string {
	return m.countries[c.country].variants[c.variant].schedule
}
