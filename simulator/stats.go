package simulator

import "math"

// Metric is an estimate with its 95% interval.
type Metric struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

const z95 = 1.959963984540054

func around(v, se float64) Metric { return Metric{v, v - z95*se, v + z95*se} }

// Summary is a policy's results on a population at one budget.
type Summary struct {
	Policy string `json:"policy"`
	// Recovered is the share of failed invoices recovered (%).
	Recovered Metric `json:"recovered_pct"`
	// Amount is the share of the failed amount recovered (%).
	Amount Metric `json:"amount_pct"`
	// RetriesPerRecovery counts every retry made, over recovered invoices.
	RetriesPerRecovery Metric `json:"retries_per_recovered"`
	DaysToRecovery     Metric `json:"days_to_recovery"`
	// Churned is the number of subscriptions canceled after failed
	// recovery (every unrecovered invoice's, under cancel-after-failure).
	Churned    Metric `json:"churned"`
	Violations Metric `json:"violations"`
	Invoices   int    `json:"invoices"`
}

// Summarize computes a policy's metrics over outcomes.
func Summarize(name string, outs []Outcome) Summary {
	n := float64(len(outs))
	var rec, amt, amtRec, retries, days, days2 float64
	var viol int
	for _, o := range outs {
		amt += float64(o.Amount)
		retries += float64(o.Retries)
		viol += o.Violations
		if o.Recovered {
			rec++
			amtRec += float64(o.Amount)
			d := o.At / 24
			days += d
			days2 += d * d
		}
	}
	s := Summary{Policy: name, Invoices: len(outs)}
	if n == 0 {
		return s
	}
	p := rec / n
	s.Recovered = wilson(rec, n)
	pa := amtRec / amt
	var va, vr float64
	rho := 0.0
	if rec > 0 {
		rho = retries / rec
	}
	for _, o := range outs {
		r := 0.0
		if o.Recovered {
			r = 1
		}
		e := float64(o.Amount) * (r - pa)
		va += e * e
		f := float64(o.Retries) - rho*r
		vr += f * f
	}
	s.Amount = scale(around(pa, math.Sqrt(va)/amt), 100)
	if rec > 0 {
		s.RetriesPerRecovery = around(rho, math.Sqrt(vr)/rec)
		mean := days / rec
		sd := math.Sqrt(math.Max(days2/rec-mean*mean, 0))
		s.DaysToRecovery = around(mean, sd/math.Sqrt(rec))
	}
	s.Churned = around(n-rec, math.Sqrt(n*p*(1-p)))
	s.Violations = poisson(float64(viol))
	return s
}

func scale(m Metric, k float64) Metric { return Metric{m.Value * k, m.Lo * k, m.Hi * k} }

// wilson is the Wilson score interval of a proportion, in percent.
func wilson(x, n float64) Metric {
	p := x / n
	d := 1 + z95*z95/n
	c := (p + z95*z95/(2*n)) / d
	h := z95 * math.Sqrt(p*(1-p)/n+z95*z95/(4*n*n)) / d
	return Metric{100 * p, 100 * (c - h), 100 * (c + h)}
}

// poisson is an approximate 95% interval of a count (exact at zero).
func poisson(k float64) Metric {
	if k == 0 {
		return Metric{0, 0, 3.689}
	}
	return Metric{k, math.Max(0, k-z95*math.Sqrt(k)), k + z95*math.Sqrt(k)}
}

// UpliftShare is (policy − fixed)/(oracle − fixed) over paired outcomes,
// by count (weights 1) or by amount, with a delta-method interval.
func UpliftShare(policy, fixed, oracle []Outcome, byAmount bool) Metric {
	var s1, s2 float64
	d1 := make([]float64, len(policy))
	d2 := make([]float64, len(policy))
	for i := range policy {
		w := 1.0
		if byAmount {
			w = float64(policy[i].Amount)
		}
		d1[i] = w * (b2f(policy[i].Recovered) - b2f(fixed[i].Recovered))
		d2[i] = w * (b2f(oracle[i].Recovered) - b2f(fixed[i].Recovered))
		s1 += d1[i]
		s2 += d2[i]
	}
	if s2 == 0 {
		return Metric{math.NaN(), math.NaN(), math.NaN()}
	}
	r := s1 / s2
	v := 0.0
	for i := range d1 {
		e := d1[i] - r*d2[i]
		v += e * e
	}
	return scale(around(r, math.Sqrt(v)/math.Abs(s2)), 100)
}

// PairedDiff is the mean of a − b in recovered invoices (percentage
// points) with its standard error, over paired outcomes.
func PairedDiff(a, b []Outcome) (mean, se float64) {
	n := float64(len(a))
	var s, s2 float64
	for i := range a {
		d := b2f(a[i].Recovered) - b2f(b[i].Recovered)
		s += d
		s2 += d * d
	}
	mean = s / n
	return 100 * mean, 100 * math.Sqrt(math.Max(s2/n-mean*mean, 0)/n)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
