package smartretry

// hazardsAt writes into h (NumStates long) every state's hazard of an
// attempt at b after one at a: Hazard[cell(s, a, b)] for each state s,
// the same numbers, with the cure onsets read run by run (those lifted
// by both a and b, sticky when they share a day of the run; those lifted
// by b only; those not lifted by b) rather than a cell worked out per
// onset. The plan's schedule, its explanation and the scored candidates
// read whole hazard vectors, so a vector costs a pass over the states.
func (m *Mixture) hazardsAt(h []float64, a, b *point) {
	hz := m.Hazard
	h = h[:NumStates]
	old := hz[cellFundsOld]
	for s := 0; s < numSched; s++ {
		x := old
		if b.idx[s] > a.idx[s] {
			x = hz[b.fcell[s]]
		}
		h[s] = x
	}
	h[stateDead] = hz[cellDead]
	aOn, bOn := int(a.on), int(b.on)
	sticky := a.block == b.block
	o := h[stateOnset : stateOnset+numOnset+1]
	band := int(b.band)
	for c := 0; c < numCures; c++ {
		lo, hi := onsetLo[c], onsetHi[c]
		m1, m2 := clampOn(min(aOn, bOn), c), clampOn(bOn, c)
		x := hz[cureCell(c, band, sticky)]
		for j := lo; j < m1; j++ {
			o[j] = x
		}
		x = hz[cureCell(c, band, false)]
		for j := m1; j < m2; j++ {
			o[j] = x
		}
		x = hz[cellCure+c*cureCells]
		for j := m2; j < hi; j++ {
			o[j] = x
		}
	}
}

// stateClasses is stateClass as a table.
var stateClasses = func() (t [NumStates]uint8) {
	for s := range t {
		t[s] = uint8(stateClass(s))
	}
	return t
}()
