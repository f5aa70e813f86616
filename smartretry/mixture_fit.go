package smartretry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// MixtureSequence is one failed invoice as the mixture learns from it:
// the first failure, then the merchant's retries in order, up to the
// first success; a run is cut at the first credential update, since a
// new card is another process (the planner leaves such invoices to the
// logistic model).
type MixtureSequence struct {
	Category, Funding, Country string
	Loc                        *time.Location
	First                      time.Time
	Retries                    []time.Time
	Success                    bool // the last retry succeeded
	// Activity is the card's activity after the first failure, sorted
	// (only that up to the last retry is used).
	Activity []time.Time
}

// MixtureSequences gathers the ledger's failed invoices as sequences.
func MixtureSequences(l *Ledger) []MixtureSequence {
	var out []MixtureSequence
	for _, id := range l.Order {
		h := l.Invoices[id]
		if !h.Failed() {
			continue
		}
		first := h.Attempts[0]
		cust := l.Customers[h.Finalized.CustomerID]
		loc, _ := location(cust.TimeZone)
		pm := first.PaymentMethodID
		if pm == "" {
			pm = h.Finalized.PaymentMethodID
		}
		cut := time.Time{}
		funding := string(first.Funding)
		var acts []time.Time
		if card := l.Cards[pm]; card != nil {
			acts = activityBefore(card.Activity, first.OccurredAt, farFuture)
			if funding == "" {
				funding = string(card.Attached.Funding)
			}
			for _, u := range card.Updates {
				if u.After(first.OccurredAt) && (cut.IsZero() || u.Before(cut)) {
					cut = u
				}
			}
		}
		cat, _ := categoryOf(first.DeclineCode)
		s := MixtureSequence{Category: string(cat), Funding: funding, Country: cust.Country, Loc: loc, First: first.OccurredAt}
		for _, a := range h.Attempts[1:] {
			if a.Initiator != domain.InitiatorRetry && a.Initiator != domain.InitiatorManual {
				break
			}
			if !cut.IsZero() && !a.OccurredAt.Before(cut) {
				break
			}
			s.Retries = append(s.Retries, a.OccurredAt)
			if a.Outcome == domain.Succeeded {
				s.Success = true
				break
			}
		}
		if len(s.Retries) > 0 {
			s.Activity = activityBefore(acts, s.First, s.Retries[len(s.Retries)-1])
		}
		out = append(out, s)
	}
	return out
}

// MixtureOptions tune the fit.
type MixtureOptions struct {
	Iterations   int   // EM iterations of the final fit (default 60)
	DepositHours []int // candidate deposit hours (default 0, 2, …, 10)
	HoldOut      int   // every HoldOut-th sequence scores a first fit (0: none)
	// IgnoreActivity fits without card activity (Mixture.Activity nil).
	IgnoreActivity bool
}

// FitMixture fits the latent-class model by EM: for each candidate
// deposit hour a short fit, then the best by likelihood to convergence.
// With opt.HoldOut it first fits on the other sequences and reports the
// metrics on every HoldOut-th (Mixture.Test), then refits on all.
func FitMixture(ctx context.Context, seqs []MixtureSequence, opt MixtureOptions) (*Mixture, error) {
	if opt.HoldOut > 1 && len(seqs) >= 2*opt.HoldOut {
		var train, test []MixtureSequence
		for i := range seqs {
			if i%opt.HoldOut == opt.HoldOut-1 {
				test = append(test, seqs[i])
			} else {
				train = append(train, seqs[i])
			}
		}
		o := opt
		o.HoldOut = 0
		m, err := FitMixture(ctx, train, o)
		if err != nil {
			return nil, err
		}
		o.DepositHours = []int{m.DepositHour}
		all, err := FitMixture(ctx, seqs, o)
		if err != nil {
			return nil, err
		}
		all.Test = MixtureMetrics(m, test)
		return all, nil
	}
	if len(seqs) == 0 {
		return nil, errors.New("fit mixture: no failed invoices in the ledger")
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 60
	}
	if len(opt.DepositHours) == 0 {
		opt.DepositHours = []int{0, 2, 4, 6, 8, 10}
	}
	var best *Mixture
	if len(opt.DepositHours) == 1 {
		best = &Mixture{DepositHour: opt.DepositHours[0]}
	}
	for _, hr := range opt.DepositHours {
		if len(opt.DepositHours) == 1 {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("fit mixture: %w", err)
		}
		m := fitEM(newEMData(seqs, hr, !opt.IgnoreActivity), hr, 15)
		if best == nil || m.LogLik > best.LogLik {
			best = m
		}
	}
	m := fitEM(newEMData(seqs, best.DepositHour, !opt.IgnoreActivity), best.DepositHour, opt.Iterations)
	m.setVersion()
	return m, nil
}

// emData holds each sequence's cells, state by state, for one deposit
// hour: cells[off[n]+i*NumStates+s] is retry i of sequence n in state s.
type emData struct {
	seqs  []MixtureSequence
	off   []int
	cells []uint16
	keys  []string
	fkeys []string
	// act holds each sequence's activity summary (actSum: events then
	// exposure, sumLen each) from its first failure to its last retry;
	// nil without activity.
	act []float32
}

// actOf is sequence n's activity summary.
func (d *emData) actOf(n int) actSum {
	b := d.act[2*n*sumLen:]
	return actSum{n: b[:sumLen:sumLen], e: b[sumLen : 2*sumLen : 2*sumLen]}
}

func newEMData(seqs []MixtureSequence, hour int, activity bool) *emData {
	d := &emData{seqs: seqs, off: make([]int, len(seqs)+1), keys: make([]string, len(seqs)), fkeys: make([]string, len(seqs))}
	if activity {
		d.act = make([]float32, 2*sumLen*len(seqs))
	}
	var dep deposits
	for n := range seqs {
		s := &seqs[n]
		d.keys[n] = PriorKey(s.Category, s.Funding, s.Country)
		d.fkeys[n] = fallbackKey(s.Category, s.Funding)
		d.off[n] = len(d.cells)
		if len(s.Retries) == 0 {
			continue
		}
		dep.fill(s.Loc, s.First, s.Retries[len(s.Retries)-1], hour)
		prev := dep.at(s.First, s.First)
		for _, t := range s.Retries {
			cur := dep.at(t, s.First)
			for k := 0; k < NumStates; k++ {
				d.cells = append(d.cells, uint16(cell(k, &prev, &cur)))
			}
			prev = cur
		}
		if d.act != nil {
			dep.summarise(d.actOf(n), s.First, s.Retries[len(s.Retries)-1], s.Activity)
		}
	}
	d.off[len(seqs)] = len(d.cells)
	return d
}

// fitEM runs EM over the states: each sequence's responsibilities over
// funds classes, dead and cure onsets given its retries and activity,
// then hazards, activity rates, onset distributions and class priors
// from them.
func fitEM(d *emData, hour, iters int) *Mixture {
	const S = NumStates
	haz := make([]float64, numCells)
	for c := range haz {
		haz[c] = initialHazard(c)
	}
	// Priors start uniform per key.
	prior := map[string][]float64{}
	fprior := map[string][]float64{}
	global := make([]float64, NumClasses)
	for k := range global {
		global[k] = 1 / float64(NumClasses)
	}
	num, den := make([]float64, numCells), make([]float64, numCells)
	cnt := map[string][]float64{}
	fcnt := map[string][]float64{}
	gcnt := make([]float64, NumClasses)
	logH, log1H := make([]float64, numCells), make([]float64, numCells)
	resp, tmp, sp := make([]float64, S), make([]float64, S), make([]float64, 0, S)
	var cls [NumClasses]float64
	// The onsets are fitted with or without activity: they set the cure
	// classes' chances.
	pooled := 1.0
	if d.act != nil {
		var ev, ex float64
		for n := range d.seqs {
			a := d.actOf(n)
			ev += float64(a.n[sumDead])
			ex += float64(a.e[sumDead])
		}
		pooled = (ev + 1) / (ex + 24)
	}
	act := newActEM(pooled)
	mix := &Mixture{DepositHour: hour, CureOnset: act.pi}
	var ll float64
	for it := 0; it < iters; it++ {
		for c := range haz {
			logH[c], log1H[c] = math.Log(haz[c]), math.Log1p(-haz[c])
		}
		act.prepare()
		clear(num)
		clear(den)
		clear(gcnt)
		for _, v := range cnt {
			clear(v)
		}
		for _, v := range fcnt {
			clear(v)
		}
		ll = 0
		for n := range d.seqs {
			s := &d.seqs[n]
			sp = mix.statePrior(sp, lookupPrior(prior, fprior, global, d.keys[n], d.fkeys[n]))
			cells := d.cells[d.off[n]:d.off[n+1]]
			m := len(s.Retries)
			top := math.Inf(-1)
			var as actSum
			clear(resp)
			if d.act != nil && m > 0 {
				as = d.actOf(n)
				act.logLik(as, resp, tmp)
			}
			for k := 0; k < S; k++ {
				if sp[k] <= 0 {
					resp[k] = math.Inf(-1)
					continue
				}
				l := resp[k] + math.Log(max(sp[k], 1e-300))
				for i := 0; i < m; i++ {
					c := cells[i*S+k]
					if i == m-1 && s.Success {
						l += logH[c]
					} else {
						l += log1H[c]
					}
				}
				resp[k] = l
				top = max(top, l)
			}
			var z float64
			for k := range resp {
				resp[k] = math.Exp(resp[k] - top)
				z += resp[k]
			}
			ll += top + math.Log(z)
			for k := range resp {
				resp[k] /= z
			}
			for i := 0; i < m; i++ {
				y := 0.0
				if i == m-1 && s.Success {
					y = 1
				}
				for k := 0; k < S; k++ {
					c := cells[i*S+k]
					num[c] += resp[k] * y
					den[c] += resp[k]
				}
			}
			if as.n != nil {
				act.add(as, resp)
			}
			act.addOnsets(resp)
			classPosterior(&cls, resp)
			addTo(cnt, d.keys[n], cls[:])
			addTo(fcnt, d.fkeys[n], cls[:])
			for k := range cls {
				gcnt[k] += cls[k]
			}
		}
		// M step: hazards with a weak pull to their starting values,
		// priors smoothed key → category|funding → population.
		for c := range haz {
			h := (num[c] + 2*initialHazard(c)) / (den[c] + 2)
			haz[c] = min(max(h, minHazard), maxHazard)
		}
		// A cure class's chance after the lift is pulled towards the
		// class's pooled over the hours, so sparse hours borrow strength.
		for k := 0; k < numCures; k++ {
			for sticky := 0; sticky < 2; sticky++ {
				var pn, pd float64
				for band := 0; band < numBands; band++ {
					c := cureCell(k, band, sticky == 1)
					pn += num[c]
					pd += den[c]
				}
				c0 := cureCell(k, 0, sticky == 1)
				pool := (pn + 2*initialHazard(c0)) / (pd + 2)
				for band := 0; band < numBands; band++ {
					c := cureCell(k, band, sticky == 1)
					haz[c] = min(max((num[c]+8*pool)/(den[c]+8), minHazard), maxHazard)
				}
			}
		}
		act.mStep()
		global = normalised(gcnt, nil, 0)
		for key, v := range fcnt {
			fprior[key] = normalised(v, global, 20)
		}
		for key, v := range cnt {
			fk := key[:strings.LastIndexByte(key, '|')]
			prior[key] = normalised(v, fprior[fk], 20)
		}
	}
	mix.Hazard, mix.Prior, mix.FallbackPrior, mix.GlobalPrior, mix.LogLik = haz, prior, fprior, global, ll/float64(len(d.seqs))
	if d.act != nil {
		mix.Activity = act.lam
	}
	return mix
}

func lookupPrior(prior, fprior map[string][]float64, global []float64, key, fkey string) []float64 {
	if p, ok := prior[key]; ok {
		return p
	}
	if p, ok := fprior[fkey]; ok {
		return p
	}
	return global
}

func addTo(m map[string][]float64, key string, v []float64) {
	a := m[key]
	if a == nil {
		a = make([]float64, len(v))
		m[key] = a
	}
	for i := range v {
		a[i] += v[i]
	}
}

// normalised returns (v + w·base)/Σ, base nil meaning no pull.
func normalised(v, base []float64, w float64) []float64 {
	out := make([]float64, len(v))
	var z float64
	for i := range v {
		out[i] = v[i]
		if base != nil {
			out[i] += w * base[i]
		}
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}
