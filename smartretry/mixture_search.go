package smartretry

import (
	"math"
	"slices"
)

// search is the mixture planner's state while choosing slots. It lives in
// a pooled scratch (mixScratch), so its slices are reused across plans.
type search struct {
	f       *mixFold // the model's survivals
	post    []float64
	last    *point
	pts     []point
	from    int
	spacing int
	same    []bool
	fver    []int32   // count of changes of the funds cells up to each slot
	rho     []float64 // the customer does not pay after a failure at j
	surv    []float64 // P(every chosen retry fails | state)
	remind  float64   // Π rho over the chosen slots
	// ps is post·surv by state, P its sums over the onsets (P[j]: the
	// onsets below j), which every segment reads.
	ps, P []float64

	chosen, rest []int
	// settled are the chosen slots whose move (choose's local search) was
	// last tried, or which were last placed, with the other chosen slots
	// as they are now: trying them again would find the same place.
	settled []int
	// listed are the spans whose candidates' approximate losses (loss,
	// by slot) one bestInsert computed.
	listed []int32
	loss   []float64
	segs   []segment
	spans  []slotSpan
	order  []int32 // spans by bound
	chunks []chunkMin
	prune  bool // bounds hold (chunkMins)
}

// choose picks up to k slots of pts[from:] by greedy insertion: each
// step adds the slot that most raises the chance of recovery within the
// window, Σ over classes of the posterior times the chance that some
// planned retry succeeds, with each planned failure updating the
// posterior of the ones after it (an insertion changes the hazard of the
// retry after it, whose previous attempt it becomes); the customer's own
// payment after each failure's reminder counts as the optimizer's does
// (Objective.ReminderValue). It stops when no slot is worth its cost.
// Then each chosen slot in turn is moved to the best other place while
// that raises the chance (a few passes of local search), which undoes
// greedy's early commitments. rho[d] is exp(−obj.ReminderValue·d), nil
// when ReminderValue is 0; f is the model's fold; post is the state
// posterior (NumStates, as posterior writes it: the segments read its
// onset states). The slots returned are s's until the next choose.
func (s *search) choose(f *mixFold, post []float64, last *point, pts []point, from, k int, amount float64, obj Objective, rho []float64) []int {
	n := len(pts)
	s.f, s.post, s.last, s.pts, s.from = f, post, last, pts, from
	s.spacing = max(int(math.Ceil(obj.MinSpacing.Hours())), 1)
	s.surv = resize(s.surv, len(post))
	s.same = resize(s.same, n)
	s.fver = resize(s.fver, n)
	s.rho = resize(s.rho, n)
	// A slot that every class sees as the slot before it (same deposit
	// periods and buckets; same local hour, onsets lifted by it and day
	// of the run) has the same hazards as it, before and after, and a
	// smaller reminder worth: it is only a candidate when the slot
	// before it was not.
	var ver int32
	// Locals: through s every store would reload the slices.
	sameS, fver, rhoS := s.same[:n], s.fver[:n], s.rho[:n]
	for j := from; j < n; j++ {
		same := false
		if j > from {
			p, q := &pts[j], &pts[j-1]
			fs := p.fundsSame(q)
			// Every class's cells alike: the funds', and the local hour, the
			// onsets lifted and the day of the run.
			same = fs && p.band == q.band && p.on == q.on && p.block == q.block
			if !fs {
				ver++
			}
		}
		sameS[j] = same
		fver[j] = ver
		rhoS[j] = 1
		if rho != nil {
			rhoS[j] = rho[n-1-j] // exp(−ReminderValue·(n−1−j))
		}
	}
	s.chunkMins(f.ok && obj.ReminderValue >= 0)
	chosen := s.chosen[:0]
	// settled: a slot's best place given the others is where it is when
	// it was placed there, or tried there, with the others as they are
	// now (bestInsert is a function of the others); trying it again finds
	// that place and moves nothing, so it is skipped. A greedy step places
	// its slot best given the earlier ones, a move its slot best given
	// the rest; any change of the others unsettles every slot but the one
	// just placed.
	settled := s.settled[:0]
	value := 0.0
	for len(chosen) < k {
		s.survival(chosen)
		v, j, pos := s.bestInsert(chosen)
		if j < 0 || (v-value)*amount <= obj.AttemptCost {
			break
		}
		chosen = insertAt(chosen, pos, j)
		value = v
		settled = append(settled[:0], j)
	}
	rest := s.rest[:0]
	for pass := 0; pass < 3 && len(chosen) > 1; pass++ {
		moved := false
		for i := 0; i < len(chosen); i++ {
			if slices.Contains(settled, chosen[i]) {
				continue
			}
			rest = append(append(rest[:0], chosen[:i]...), chosen[i+1:]...)
			s.survival(rest)
			v, j, pos := s.bestInsert(rest)
			if j >= 0 && j != chosen[i] && v > value+1e-9 {
				chosen = insertAt(append(chosen[:0], rest...), pos, j)
				value, moved = v, true
				settled = append(settled[:0], j)
				continue
			}
			settled = append(settled, chosen[i])
		}
		if !moved {
			break
		}
	}
	s.chosen, s.rest, s.settled = chosen, rest, settled
	return chosen
}

// sums sets ps and P from post and surv.
func (s *search) sums() {
	const J = numOnset + 1
	// Locals: through s every store would reload the slices.
	s.ps = resize(s.ps, len(s.post))
	ps, post, surv := s.ps, s.post, s.surv
	post, surv = post[:len(ps)], surv[:len(ps)]
	for q := range ps {
		ps[q] = post[q] * surv[q]
	}
	s.P = resize(s.P, J+1)
	P := s.P[:J+1]
	acc := 0.0
	P[0] = 0
	for j, v := range ps[stateOnset : stateOnset+J] {
		acc += v
		P[j+1] = acc
	}
}

func insertAt(a []int, pos, v int) []int {
	a = append(a, 0)
	copy(a[pos+1:], a[pos:])
	a[pos] = v
	return a
}

// survival sets surv and remind for the sorted slots chosen.
func (s *search) survival(chosen []int) {
	defer s.sums()
	surv, f := s.surv, s.f
	for q := range surv {
		surv[q] = 1
	}
	remind := 1.0
	a := s.last
	for _, j := range chosen {
		b := &s.pts[j]
		var x [stateOnset]float64
		f.fundsOf(&x, a, b)
		for q := range x {
			surv[q] *= x[q]
		}
		f.mulOnsets(surv, a, b)
		remind *= s.rho[j]
		a = b
	}
	s.remind = remind
}

// bestInsert returns the chance of recovery with the best slot added to
// chosen (whose survival is set), the slot and its place; j < 0 if none
// fits.
//
// The candidates are the slots at least the minimum spacing from every
// chosen one, less those whose cells are the same as the slot before's
// (same): in each gap between chosen slots, a run of slots whose first
// is always a candidate. The answer is what a scan of the candidates in
// order with value would give, the best value and on ties the earliest
// slot, found in two passes. The first ranks the candidates by an
// approximate loss, 1 − value as segment computes it (the classes' terms
// regrouped so that a slot costs a few multiplications), chunk by chunk
// of slots, in order of the chunks' lower bounds, stopping at the first
// whose bound exceeds the least loss found by more than the margin; the
// second computes value exactly for the few candidates whose
// approximate loss is within that margin of the least, a thousand times
// the approximation's error, so the best slot is always among them.
func (s *search) bestInsert(chosen []int) (value float64, j, pos int) {
	n := len(s.pts)
	s.loss = resize(s.loss, n)
	s.listed = s.listed[:0]
	// The spans grow in a local, stored once (through s every append
	// would store the slice's header through the GC's write barrier).
	spans := s.spans[:0]
	s.segs = resize(s.segs, len(chosen)+1)
	for pos := 0; pos <= len(chosen); pos++ {
		lo, hi := s.from, n-1
		if pos > 0 {
			lo = max(lo, chosen[pos-1]+s.spacing)
		}
		if pos < len(chosen) {
			hi = chosen[pos] - s.spacing
		}
		if lo > hi {
			continue
		}
		sg := &s.segs[pos]
		s.segmentAt(sg, chosen, pos)
		if !s.prune {
			spans = append(spans, slotSpan{lo: int32(lo), hi: int32(hi), first: int32(lo), pos: int32(pos), bound: math.Inf(-1)})
			continue
		}
		for u := lo / chunkSlots; u <= hi/chunkSlots; u++ {
			spans = append(spans, slotSpan{lo: int32(max(lo, u*chunkSlots)), hi: int32(min(hi, u*chunkSlots+chunkSlots-1)), first: int32(lo), pos: int32(pos),
				bound: s.bound(sg, &s.chunks[u])})
		}
	}
	s.spans = spans
	// The span of least bound first (a NaN bound counts as least); then
	// the others within the margin of the least loss it found, in order
	// of their bounds while they stay within it: the rest cannot hold a
	// slot within it. Every slot whose loss is within the margin of the
	// least is listed whatever the order (its bound is below that least
	// throughout); in this order few others are. A NaN loss makes least
	// NaN, after which the spans still in order are all listed and every
	// listed candidate is valued, but spans already left out against a
	// finite least stay out: this is not a plain scan then. A NaN loss
	// needs a hazard of exactly 1 (a zero survival), which checkMixture
	// refuses, so served models never reach it.
	first, fb := -1, math.Inf(1)
	for i := range s.spans {
		b := s.spans[i].bound
		if b != b {
			b = math.Inf(-1)
			s.spans[i].bound = b
		}
		if first < 0 || b < fb {
			first, fb = i, b
		}
	}
	least := math.Inf(1)
	if first >= 0 {
		least = s.spanLoss(int32(first), least)
	}
	limit := lossLimit(least)
	order := s.order[:0]
	for i := range spans {
		if i != first && !(spans[i].bound > limit) {
			order = append(order, int32(i))
		}
	}
	for len(order) > 0 {
		at := 0
		for k, i := range order {
			if s.spans[i].bound < s.spans[order[at]].bound {
				at = k
			}
		}
		if s.spans[order[at]].bound > limit {
			break
		}
		least = s.spanLoss(order[at], least)
		limit = lossLimit(least)
		order[at] = order[len(order)-1]
		order = order[:len(order)-1]
	}
	s.order = order
	// NaN losses (a zero survival) compare as nothing: check them all.
	exact := math.IsNaN(limit)
	bestV, bestJ, bestPos := -1.0, -1, 0
	for _, i := range s.listed {
		sp := &s.spans[i]
		for j := int(sp.lo); j <= int(sp.hi); j++ {
			if j != int(sp.first) && s.same[j] {
				continue
			}
			if !exact && !(s.loss[j] <= limit) {
				continue
			}
			// Ties go to the earliest slot, as in a scan in order.
			if v := s.value(chosen, j, int(sp.pos)); v > bestV || (v == bestV && j < bestJ) {
				bestV, bestJ, bestPos = v, j, int(sp.pos)
			}
		}
	}
	return bestV, bestJ, bestPos
}

// lossLimit is the most an approximate loss may exceed the least one,
// least, by and its slot still be the best: the margin, a thousand
// times the approximation's error (doc.go).
func lossLimit(least float64) float64 {
	return least + 1e-9*least + 1e-12
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// chunkSlots is how many slots share a lower bound of the loss.
const chunkSlots = 8

// slotSpan is the slots lo…hi of a chunk in the gap of place pos, whose first
// candidate is first, and a lower bound of their approximate losses.
type slotSpan struct {
	lo, hi, first, pos int32
	bound              float64
}

// chunkMin describes the slots of a chunk for a lower bound of their
// losses: the least survival of each funds class after a deposit (np),
// the least of each cure class after its lift (cx, fresh or sticky), the
// least reminder factor, and the range of the deposit counts and of the
// onsets lifted by the slots (both grow with the slot), which tell for
// most chunks which case of each class or onset holds in a segment.
type chunkMin struct {
	np           [numSched]float64
	fx           [numSched][2]float64 // funds, for bounds: the least of old and np, np
	cx           [numCures]float64
	rho          float64
	idxLo, idxHi [numSched]int32
	onLo, onHi   int
	// verLo and verHi number idxLo and idxHi: two chunks' deposit
	// counts are the same arrays when their numbers are (the counts
	// only grow), so a segment's funds cases carry over (fundsCase).
	verLo, verHi int32
}

// chunkMins sets the chunks' minima. Bounds are used only when every
// survival and reminder factor is a number in [0, 1] (valid), for which
// the products are monotone.
func (s *search) chunkMins(valid bool) {
	n := len(s.pts)
	s.chunks = resize(s.chunks, (n+chunkSlots-1)/chunkSlots)
	s.prune = valid
	if !valid {
		return
	}
	f := s.f
	var ver int32
	for u := s.from / chunkSlots; u < len(s.chunks); u++ {
		lo, hi := max(u*chunkSlots, s.from), min(n, (u+1)*chunkSlots)
		cm := &s.chunks[u]
		p := &s.pts[lo]
		var np [numSched]float64
		for q := range np {
			np[q] = f.surv[p.fcell[q]]
		}
		b0 := int(p.band)
		consecutive, next := true, b0 // the slots' local hours run on from b0
		for j := lo + 1; j < hi; j++ {
			q := &s.pts[j]
			if next++; next == numBands {
				next = 0
			}
			consecutive = consecutive && int(q.band) == next
			// The funds cells change a few times a day. The values are
			// numbers (valid), so a comparison takes the minimum (min
			// would also look for NaN and signed zeros).
			if q.fcell != p.fcell {
				for k := range np {
					if x := f.surv[q.fcell[k]]; x < np[k] {
						np[k] = x
					}
				}
				p = q
			}
		}
		// The cure classes' least after the lift: a run of local hours
		// from the fold, or hour by hour where the clocks changed.
		if consecutive {
			cm.cx = f.loRun[b0][hi-1-lo]
		} else {
			cm.cx = f.lo[b0]
			for j := lo + 1; j < hi; j++ {
				x := &f.lo[s.pts[j].band]
				for c := range cm.cx {
					cm.cx[c] = min(cm.cx[c], x[c])
				}
			}
		}
		// Reminder factors grow with the slot (ReminderValue ≥ 0 when
		// bounds are used).
		cm.rho = s.rho[lo]
		cm.np = np
		for q, x := range np {
			cm.fx[q][0], cm.fx[q][1] = min(f.old, x), x
		}
		cm.idxLo, cm.idxHi = s.pts[lo].idx, s.pts[hi-1].idx
		cm.onLo, cm.onHi = int(s.pts[lo].on), int(s.pts[hi-1].on)
		cm.verLo = ver
		if u > s.from/chunkSlots && s.pts[lo].dver != s.pts[lo-1].dver {
			cm.verLo++
		}
		cm.verHi = cm.verLo + int32(b2i(s.pts[hi-1].dver != s.pts[lo].dver))
		ver = cm.verHi
	}
}

// bound is a lower bound of the approximate loss of any slot of the chunk
// in the segment, less a relative 1e-12 for its rounding. For each funds
// class it takes the case that holds for every slot of the chunk when one
// does (no deposit since a, or one; a deposit before b, or none), else
// the lesser of the two; for each onset likewise (lifted by the slot or
// not), with the least of a cure class's chances after the lift. The
// funds classes' cases are worked out once per run of chunks with the
// same deposit counts (fundsCase), and a cure class whose onsets are all
// lifted, or none, at every slot of the chunk reads its coefficients from
// the segment (boundCure): the same terms regrouped, a few operations
// each.
func (s *search) bound(sg *segment, cm *chunkMin) float64 {
	fc := &sg.fc
	if cm.verLo != fc.verLo || cm.verHi != fc.verHi {
		fc.set(sg, cm)
	}
	f := sg.dead + fc.k
	for i := 0; i < fc.n; i++ {
		f += fc.coef[i] * cm.fx[fc.q[i]][fc.kind[i]]
	}
	// The onsets a slot of the chunk has lifted run over a range: those
	// below it are lifted at every slot, those above it at none, those
	// within it take the lesser of the two cases.
	onLo := max(cm.onLo, sg.aOn)
	onHi := max(onLo, min(cm.onHi, sg.bOn))
	cb, ca := int(classesBelow[onLo]), int(classesFrom[onHi])
	bc := &sg.bc
	f += bc.below[cb] + bc.above[ca]
	for c := 0; c < cb; c++ {
		f += bc.ab[c] * cm.cx[c]
	}
	for c := max(ca, cb); c < numCures; c++ {
		f += bc.aa[c] * cm.cx[c]
	}
	P := s.P
	cl, ch := &onsetClamp[onLo], &onsetClamp[onHi]
	for c := cb; c < ca; c++ {
		u := &sg.cu[c]
		pl, ph := P[cl[c]], P[ch[c]]
		x := cm.cx[c]
		xg := x * u.gmin
		m := u.pre // min(xg, pre): both numbers when bounds are used
		if xg < m {
			m = xg
		}
		f += u.aymin*x + (pl-u.p1)*xg + (ph-pl)*m + (u.p2-ph)*u.pre
	}
	return s.remind * cm.rho * f * (1 - 1e-12)
}

// classesBelow[on] is how many cure classes have all their onsets below
// on; classesFrom[on] the first class with none below it (numCures if
// none). For an onset range [lo, hi) of a chunk, the classes below
// classesBelow[lo] are lifted at every slot, those from classesFrom[hi]
// at none.
var classesBelow, classesFrom = func() (below, from [numOnset + 2]uint8) {
	for on := range below {
		for c := 0; c < numCures; c++ {
			if onsetHi[c] <= on {
				below[on]++
			}
		}
		from[on] = numCures
		for c := numCures - 1; c >= 0 && onsetLo[c] >= on; c-- {
			from[on] = uint8(c)
		}
	}
	return below, from
}()

// fundsCase is a segment's funds classes' part of the bound for chunks
// with one pair of deposit counts (chunkMin.verLo, verHi): k sums the
// classes with no deposit since a at any slot of the chunk (their
// survival the old one), and each other class q[i] adds coef[i] times
// the chunk's fx[q[i]][kind[i]].
type fundsCase struct {
	verLo, verHi int32
	k            float64
	n            int
	q, kind      [numSched]uint8
	coef         [numSched]float64
}

func (fc *fundsCase) set(sg *segment, cm *chunkMin) {
	fc.verLo, fc.verHi = cm.verLo, cm.verHi
	// k and n in locals: through fc every update would be a store.
	k, n := 0.0, 0
	for q := 0; q < numSched; q++ {
		x := b2i(cm.idxHi[q] > sg.aIdx[q]) + b2i(cm.idxLo[q] > sg.aIdx[q])
		sy := 2 // no b: every case alike
		if sg.hasB {
			sy = b2i(sg.bIdx[q] > cm.idxLo[q]) + b2i(sg.bIdx[q] > cm.idxHi[q])
		}
		if x == 0 {
			k += sg.fy[q][sy] * sg.old
			continue
		}
		fc.q[n], fc.kind[n], fc.coef[n] = uint8(q), uint8(x-1), sg.fy[q][sy]
		n++
	}
	fc.k, fc.n = k, n
}

// boundCure holds a segment's cure classes' terms of the bound for the
// classes whose onsets are all lifted at every slot of a chunk (below:
// ab[c] times the chunk's least survival after the lift, plus below's
// sum) or none (above: aa and above's sum): the terms of bound with the
// onsets' sums read at the class's ends.
type boundCure struct {
	ab, aa       [numCures]float64
	below, above [numCures + 1]float64 // below[k]: Σ c < k; above[k]: Σ c ≥ k
}

func (s *search) setBoundCure(sg *segment) {
	bc, P := &sg.bc, s.P
	bc.below[0], bc.above[numCures] = 0, 0
	for c := range sg.cu {
		u := &sg.cu[c]
		ph := P[onsetHi[c]]
		bc.ab[c] = u.aymin + (ph-u.p1)*u.gmin
		bc.below[c+1] = bc.below[c] + (u.p2-ph)*u.pre
	}
	for c := numCures - 1; c >= 0; c-- {
		u := &sg.cu[c]
		pl := P[onsetLo[c]]
		bc.aa[c] = u.aymin + (pl-u.p1)*u.gmin
		bc.above[c] = bc.above[c+1] + (u.p2-pl)*u.pre
	}
}

// spanLoss sets the approximate loss of the candidates of span i, lists
// the span, and returns the least of least and theirs.
func (s *search) spanLoss(i int32, least float64) float64 {
	s.listed = append(s.listed, i)
	sp := &s.spans[i]
	sg := &s.segs[sp.pos]
	fj := -1 // the slot whose funds term funds holds
	var funds float64
	cr := cureRest{key: -1}
	for j := int(sp.lo); j <= int(sp.hi); j++ {
		if j != int(sp.first) && s.same[j] {
			continue
		}
		p := &s.pts[j]
		if fj < 0 || s.fver[j] != s.fver[fj] {
			funds, fj = sg.funds(p, s.f), j
		}
		l := s.remind * s.rho[j] * (funds + sg.restBy(p, s.f, s.P, &cr))
		s.loss[j] = l
		least = min(least, l)
	}
	return least
}

// value is the chance of recovery with slot j inserted at pos into
// chosen (whose survival is set).
func (s *search) value(chosen []int, j, pos int) float64 {
	post, surv := s.post, s.surv
	a := s.last
	if pos > 0 {
		a = &s.pts[chosen[pos-1]]
	}
	cur, f := &s.pts[j], s.f
	var b *point
	if pos < len(chosen) {
		b = &s.pts[chosen[pos]]
	}
	// The funds and dead states here, the onsets run by run below.
	var sum float64
	var ac, cb, ab [stateOnset]float64
	f.fundsOf(&ac, a, cur)
	if b != nil {
		f.fundsOf(&cb, cur, b)
		f.fundsOf(&ab, a, b)
		for q := range stateOnset {
			sum += post[q] * surv[q] * ac[q] * cb[q] / ab[q]
		}
	} else {
		for q := range stateOnset {
			sum += post[q] * surv[q] * ac[q]
		}
	}
	sum = s.onsetsValue(sum, a, cur, b)
	return 1 - s.remind*s.rho[j]*sum
}

// onsetsValue adds to sum the onsets' terms of value in the order of the
// states, with the numbers f.of gives, read once per run of onsets that
// share them: onsets lifted by a, by the slot p, by b, and not by b.
func (s *search) onsetsValue(sum float64, a, p, b *point) float64 {
	f := s.f
	post, surv := s.post[stateOnset:], s.surv[stateOnset:]
	aOn, pOn := int(a.on), int(p.on)
	sap := b2i(a.block == p.block)
	if b == nil {
		for c := range numCures {
			lo, e1, e2, hi := onsetLo[c], clampOn(aOn, c), clampOn(pOn, c), onsetHi[c]
			xp, pre := f.post[p.band][c], f.pre[c]
			for j := lo; j < e1; j++ {
				sum += post[j] * surv[j] * xp[sap]
			}
			for j := e1; j < e2; j++ {
				sum += post[j] * surv[j] * xp[0]
			}
			for j := e2; j < hi; j++ {
				sum += post[j] * surv[j] * pre
			}
		}
		return sum
	}
	bOn := int(b.on)
	spb, sab := b2i(p.block == b.block), b2i(a.block == b.block)
	for c := range numCures {
		lo, e1, e2, e3, hi := onsetLo[c], clampOn(aOn, c), clampOn(pOn, c), clampOn(bOn, c), onsetHi[c]
		xp, xb, pre := f.post[p.band][c], f.post[b.band][c], f.pre[c]
		for j := lo; j < e1; j++ {
			sum += post[j] * surv[j] * xp[sap] * xb[spb] / xb[sab]
		}
		for j := e1; j < e2; j++ {
			sum += post[j] * surv[j] * xp[0] * xb[spb] / xb[0]
		}
		for j := e2; j < e3; j++ {
			sum += post[j] * surv[j] * pre * xb[0] / xb[0]
		}
		for j := e3; j < hi; j++ {
			sum += post[j] * surv[j] * pre * pre / pre
		}
	}
	return sum
}

// segment holds, for the slots between two chosen ones (a before, b
// after, b nil at the end), each state's weight in the chance that every
// retry fails: with a slot j inserted, state q contributes
// post·surv·S(a→j)·S(j→b)/S(a→b), where S is the survival of an attempt
// given the one before. Within a segment the funds classes' S depend on j
// only through its funds cells, which change a few times a day. A cure
// onset's S depend on j through whether its hold has lifted by j (and by
// a and b), j's local hour and whether j shares a day with a or b: the
// onsets of a class lifted by a, those lifted between a and j, between j
// and b, and after b each share one expression, and their post·surv are
// summed over the onsets once per set of chosen slots (search.P), so a
// slot costs a few operations per cure class however many onsets there
// are.
type segment struct {
	a, b *point
	w    [stateOnset]float64  // funds and dead: post·surv/S(a→b) (post·surv without b)
	fb   [numSched][2]float64 // funds: w·S(j→b) without / with a deposit between j and b
	old  float64              // funds: S with no deposit since the previous attempt
	fy   [numSched][3]float64 // funds, for bounds: fb without, the least of fb, fb with
	// aOn and bOn are the onsets lifted by a and b (all without b).
	aOn, bOn int
	// cu holds per cure class: P at the class's onsets bounded by aOn
	// (p1) and bOn (p2); the term of its onsets lifted by a, less j's
	// survival from a, by whether j shares b's day (ay: their
	// post·surv/S(a→b)·S(j→b)); the factor of an onset lifted between a
	// and j, less j's survival from a, by the same (g: S(j→b)/S(a→b));
	// and their least (bounds).
	cu   [numCures]cureSeg
	dead float64 // the dead class's term and the onsets lifting after b: the same for every j
	hasB bool
	// fc and bc are the bound's (fundsCase, boundCure).
	fc   fundsCase
	bc   boundCure
	aIdx [numSched]int32
	bIdx [numSched]int32
	aBlk int32
	bBlk int32
}

// cureSeg is one cure class's part of a segment (see segment), with the
// class's survival before the lift (pre).
type cureSeg struct {
	ay, g       [2]float64
	p1, p2, pre float64
	aymin, gmin float64
}

// clampOn bounds an onset count to cure class c's onsets.
func clampOn(on, c int) int { return int(onsetClamp[on][c]) }

// onsetClamp[on][c] is min(max(on, onsetLo[c]), onsetHi[c]) for the
// onset counts of points (0 … numOnset) and of no point (numOnset+1).
var onsetClamp = func() (t [numOnset + 2][numCures]uint8) {
	for on := range t {
		for c := range t[on] {
			t[on][c] = uint8(min(max(on, onsetLo[c]), onsetHi[c]))
		}
	}
	return t
}()

func (s *search) segmentAt(sg *segment, chosen []int, pos int) {
	sg.a = s.last
	if pos > 0 {
		sg.a = &s.pts[chosen[pos-1]]
	}
	sg.b, sg.hasB = nil, pos < len(chosen)
	f := s.f
	if sg.hasB {
		sg.b = &s.pts[chosen[pos]]
	}
	for q := range sg.w {
		sg.w[q] = s.ps[q]
	}
	if sg.hasB {
		var ab [stateOnset]float64
		f.fundsOf(&ab, sg.a, sg.b)
		for q := range sg.w {
			sg.w[q] /= ab[q]
		}
	}
	sg.old = f.old
	for q := 0; q < numSched; q++ {
		if sg.hasB {
			sg.fb[q] = [2]float64{sg.w[q] * f.old, sg.w[q] * f.surv[sg.b.fcell[q]]}
		} else {
			sg.fb[q] = [2]float64{sg.w[q], sg.w[q]}
		}
	}
	for q := range sg.fy {
		sg.fy[q] = [3]float64{sg.fb[q][0], min(sg.fb[q][0], sg.fb[q][1]), sg.fb[q][1]}
	}
	sg.dead = sg.w[stateDead] * f.dead
	if sg.hasB {
		sg.dead *= f.dead
		sg.bIdx, sg.bBlk = sg.b.idx, sg.b.block
	}
	const J = numOnset + 1
	sg.aOn, sg.bOn = int(sg.a.on), J
	if sg.hasB {
		sg.bOn = int(sg.b.on)
	}
	P := s.P
	sab := 0
	if sg.hasB {
		sab = b2i(sg.a.block == sg.b.block)
	}
	for c := range sg.cu {
		u := &sg.cu[c]
		p0, p1, p2 := P[onsetLo[c]], P[clampOn(sg.aOn, c)], P[clampOn(sg.bOn, c)]
		u.p1, u.p2, u.pre = p1, p2, f.pre[c]
		lifted := p1 - p0 // the onsets lifted by a
		if sg.hasB {
			// Onsets lifted by a survive b as a lifted hold (sticky when
			// a and b share a day), those lifted between a and b as a
			// fresh one, those lifting after b as a held one: divided by
			// those, the S(a→j)·S(j→b) of the latter are the hold's
			// survival before the lift.
			y, r := f.post[sg.b.band][c], f.rpost[sg.b.band][c]
			a := lifted * r[sab]
			u.ay = [2]float64{a * y[0], a * y[1]}
			u.g = [2]float64{y[0] * r[0], y[1] * r[0]}
			sg.dead += (P[onsetHi[c]] - p2) * u.pre
		} else {
			u.ay, u.g = [2]float64{lifted, lifted}, [2]float64{1, 1}
		}
		u.aymin, u.gmin = min(u.ay[0], u.ay[1]), min(u.g[0], u.g[1])
	}
	sg.aIdx, sg.aBlk = sg.a.idx, sg.a.block
	sg.fc.verLo = -1
	if s.prune {
		s.setBoundCure(sg)
	}
}

// funds is the funds classes' part of the loss's sum for an attempt at p
// in the segment (fd the model's fold).
func (sg *segment) funds(p *point, fd *mixFold) float64 {
	var f float64
	for q := 0; q < numSched; q++ {
		x := sg.old
		if p.idx[q] > sg.aIdx[q] {
			x = fd.surv[p.fcell[q]]
		}
		// Without b both of fb's entries are w, so bIdx's value does not
		// matter then (&1 spares the index its bounds check).
		f += sg.fb[q][b2i(sg.bIdx[q] > p.idx[q])&1] * x
	}
	return f
}

// cureRest holds the terms of the cure and dead classes' part of the
// loss's sum regrouped for slots with the same lifted onsets, sharing a's
// day of the run or not and b's or not (key): that part is
// d + Σ_c x_c·w_c + x'_c·ay_c for class c's fresh and sticky survivals
// x_c, x'_c after the lift in the slot's local hour (ay zero when the
// slot does not share a's day). The onsets change every six hours, so
// most slots of a span read their terms from the slot before's.
type cureRest struct {
	key   int
	d     float64
	w, ay [numCures]float64
}

// set works out the terms for slots with on onsets lifted, sharing a's
// day (sa) and b's (sb) or not.
func (cr *cureRest) set(sg *segment, P []float64, on, sa, sb int) {
	d := sg.dead
	cl := &onsetClamp[on]
	for c := range numCures {
		u := &sg.cu[c]
		pc := P[cl[c]]
		d += (u.p2 - pc) * u.pre
		g, a := u.g[sb&1]*(pc-u.p1), u.ay[sb&1]
		if sa == 0 {
			cr.w[c], cr.ay[c] = g+a, 0
		} else {
			cr.w[c], cr.ay[c] = g, a
		}
	}
	cr.d = d
}

// The fresh survivals' terms are written out for six cure classes
// (restBy).
const _, _ = uint(numCures - 6), uint(6 - numCures)

// restBy is the cure and dead classes' part of the loss's sum for an
// attempt at p in the segment (P the search's sums over the onsets), its
// terms regrouped (cureRest, kept in cr from slot to slot of a segment):
// the plain sum class by class up to rounding (restPlain in the tests).
func (sg *segment) restBy(p *point, f *mixFold, P []float64, cr *cureRest) float64 {
	sa, sb := b2i(p.block == sg.aBlk), 0
	if sg.hasB {
		sb = b2i(sg.bBlk == p.block)
	}
	if k := int(p.on)<<2 | sa<<1 | sb; k != cr.key {
		cr.set(sg, P, int(p.on), sa, sb)
		cr.key = k
	}
	w, x := &cr.w, &f.fresh[p.band]
	r := cr.d + x[0]*w[0] + x[1]*w[1] + x[2]*w[2] + x[3]*w[3] + x[4]*w[4] + x[5]*w[5]
	if sa != 0 {
		y := &f.post[p.band]
		for c := range y {
			r += y[c][1] * cr.ay[c]
		}
	}
	return r
}
