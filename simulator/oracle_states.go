package simulator

import "math"

// The oracle's latent states come in two shapes. A component is one state
// with an explicit approval curve (a pay schedule, a card awaiting new
// credentials). A family is every cure time of one cure cause: members
// share the cured approval curve q and differ only in the cure slot T,
// which lets the gain of every candidate hour be computed for the whole
// family with prefix sums instead of member by member.

// component is one latent state with its approval chance and dense noise
// key per slot of the window.
type component struct {
	prior float64
	lat   latent
	p     []float64 // approval per slot 0..H
	key   []int32
	act   []float64 // activity rate per slot
	cum   []float64 // cum[s] = Σ_{s'<s} act[s']

	w   float64   // posterior weight (log before normalization)
	f   float64   // P(planned attempts fail | state, history)
	mx  []float64 // max approval tried per key, planned included
	mxH []float64 // max approval tried per key, history only
}

func (or *Oracle) component(inv *Invoice, prior float64, l latent, H int) component {
	m := or.M
	k := component{prior: prior, lat: l, p: make([]float64, H+1), key: make([]int32, H+1), act: make([]float64, H+1), cum: make([]float64, H+2)}
	nk := int32(0)
	for s := 0; s <= H; s++ {
		newCard := l.updatedAt >= 0 && float64(s) >= l.updatedAt
		p, noise := m.approval(&l, inv, s, newCard)
		var d int32
		if noise >= noiseNewCard {
			d = 1 + int32(noise-noiseNewCard)
		} else {
			d = int32(noise - noiseSameCard)
		}
		k.p[s], k.key[s] = p, d
		nk = max(nk, d+1)
		k.act[s] = m.activityRate(&l, s)
		k.cum[s+1] = k.cum[s] + k.act[s]
	}
	k.mx = make([]float64, nk)
	k.mxH = make([]float64, nk)
	return k
}

// genLogLik is the log of prior × P(history | state).
func (or *Oracle) genLogLik(o *Observation, k *component, hist []int, acts []float64) float64 {
	lw := math.Log(k.prior)
	clear(k.mxH)
	for _, s := range hist {
		if s < len(k.p) && k.p[s] > k.mxH[k.key[s]] {
			k.mxH[k.key[s]] = k.p[s]
		}
	}
	for _, x := range k.mxH {
		if x > 0 {
			lw += math.Log(math.Max(1-x, 1e-300))
		}
	}
	for _, t := range acts {
		if s := int(t); s < len(k.act) {
			lw += math.Log(math.Max(k.act[s], 1e-300))
		}
	}
	ns := min(int(o.Now), len(k.act)-1)
	lw -= k.cum[ns] + (o.Now-float64(ns))*k.act[ns]
	if k.lat.cause == CauseHard || k.lat.cause == CauseCardData {
		uc := or.M.update(k.lat.cause)
		mean := uc.UpdaterMeanDays * 24
		if o.UpdatedAt >= 0 {
			lw += math.Log(uc.UpdaterShare / mean * math.Exp(-o.UpdatedAt/mean))
		} else {
			lw += math.Log(1 - uc.UpdaterShare + uc.UpdaterShare*math.Exp(-o.Now/mean))
		}
	} else if o.UpdatedAt >= 0 {
		lw = math.Inf(-1)
	}
	return lw
}

func (k *component) setPlan(hist, plan []int) {
	copy(k.mx, k.mxH)
	k.f = 1
	for _, s := range plan {
		p := k.p[s]
		if mk := k.mx[k.key[s]]; p > mk {
			k.f *= (1 - p) / math.Max(1-mk, 1e-12)
			k.mx[k.key[s]] = p
		}
	}
}

func (k *component) addGain(gain []float64, first, H int) {
	wf := k.w * k.f
	if wf < 1e-12 {
		return
	}
	for s := first; s <= H; s++ {
		p := k.p[s]
		if p == 0 {
			continue
		}
		if mk := k.mx[k.key[s]]; p > mk {
			gain[s] += wf * (p - mk) / math.Max(1-mk, 1e-12)
		}
	}
}

// family is every cure time of one cure cause.
type family struct {
	period     int       // noise period in hours
	q          []float64 // approval once cured, per slot
	live, idle float64   // activity rates per hour after and before the cure
	T          []int     // cure slots, ascending; the last may be beyond H
	prior      []float64
	w, f       []float64
	mT         []float64 // scratch: per member, max q tried in its cure block at or after T
	cum        []float64 // scratch: prefix sums of w·f
	blockMax   []float64 // scratch: max q tried per block
}

func (or *Oracle) family(inv *Invoice, c Cause, pc float64, H int) family {
	m := or.M
	cc := m.cure(c)
	a := &m.W.Activity
	fm := family{period: cc.NoisePeriodHours, q: make([]float64, H+1), live: a.LivePerDay / 24, idle: a.IdlePerDay / 24}
	l := latent{cause: c, alive: true, cure: 0}
	for s := 0; s <= H; s++ {
		fm.q[s], _ = m.approval(&l, inv, s, false)
	}
	hl := cc.HalfLifeHours[string(inv.Funding)]
	g := cc.GridHours
	surv := func(x float64) float64 {
		s := 0.0
		for zi, z := range m.frailty {
			s += m.frailtyGivenFail[zi] * cureSurvival(hl, z, x)
		}
		return s
	}
	k := 1
	for ; k*g <= H && surv(float64((k-1)*g)) > 1e-6; k++ {
		fm.T = append(fm.T, k*g)
		fm.prior = append(fm.prior, pc*cc.Alive*(surv(float64((k-1)*g))-surv(float64(k*g))))
	}
	// Every later cure, lumped: none of them can succeed in the window.
	fm.T = append(fm.T, math.MaxInt32)
	fm.prior = append(fm.prior, pc*cc.Alive*surv(float64((k-1)*g)))
	n := len(fm.T)
	fm.w, fm.f, fm.mT, fm.cum = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n+1)
	fm.blockMax = make([]float64, H/fm.period+1)
	return fm
}

// maxFrom is the largest q tried in slot s's block at or after slot from.
func (fm *family) maxFrom(tried []int, block, from int) float64 {
	mx := 0.0
	for _, t := range tried {
		if t >= from && t/fm.period == block && t < len(fm.q) {
			mx = math.Max(mx, fm.q[t])
		}
	}
	return mx
}

// failProb is P(every attempt in tried fails | cure at T).
func (fm *family) failProb(tried []int, T int) float64 {
	f := 1.0
	for i, t := range tried {
		if t < T || t >= len(fm.q) {
			continue
		}
		b := t / fm.period
		seen := false
		for _, u := range tried[:i] {
			if u >= T && u/fm.period == b {
				seen = true
				break
			}
		}
		if !seen {
			f *= 1 - fm.maxFrom(tried, b, T)
		}
	}
	return f
}

func (fm *family) logLik(o *Observation, hist []int, acts []float64) {
	for j, T := range fm.T {
		lw := math.Log(fm.prior[j]) + math.Log(math.Max(fm.failProb(hist, T), 1e-300))
		for _, t := range acts {
			if int(t) >= T {
				lw += math.Log(fm.live)
			} else {
				lw += math.Log(fm.idle)
			}
		}
		before := math.Min(o.Now, float64(T))
		lw -= fm.idle*before + fm.live*(o.Now-before)
		fm.w[j] = lw
	}
}

func (fm *family) setPlan(hist, tried []int) {
	for j, T := range fm.T {
		h := fm.failProb(hist, T)
		if h <= 0 {
			fm.f[j] = 0
			continue
		}
		fm.f[j] = fm.failProb(tried, T) / h
	}
}

// addGain adds, for every slot s, Σ_T w_T f_T × P(an attempt at s
// succeeds | cure at T, tried attempts failed).
func (fm *family) addGain(gain []float64, tried []int, first, H int) {
	n := len(fm.T)
	for j := range n {
		fm.cum[j+1] = fm.cum[j] + fm.w[j]*fm.f[j]
		if T := fm.T[j]; T <= H {
			fm.mT[j] = fm.maxFrom(tried, T/fm.period, T)
		}
	}
	clear(fm.blockMax)
	for _, t := range tried {
		if t < len(fm.q) {
			b := t / fm.period
			fm.blockMax[b] = math.Max(fm.blockMax[b], fm.q[t])
		}
	}
	idx := 0 // members with T ≤ the block start
	for s := first; s <= H; s++ {
		q := fm.q[s]
		b := s / fm.period
		lo := b * fm.period
		for idx < n && fm.T[idx] <= lo {
			idx++
		}
		g := 0.0
		if mb := fm.blockMax[b]; q > mb {
			g += fm.cum[idx] * (q - mb) / (1 - mb)
		}
		for j := idx; j < n && fm.T[j] <= s; j++ {
			if mj := fm.mT[j]; q > mj {
				g += fm.w[j] * fm.f[j] * (q - mj) / (1 - mj)
			}
		}
		gain[s] += g
	}
}
