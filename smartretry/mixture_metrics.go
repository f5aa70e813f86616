package smartretry

// MixtureMetrics scores the mixture on sequences it was not fitted on:
// each retry's predicted chance is the posterior-weighted hazard given the
// invoice's failures and card activity before it (over the states: a
// cure class's chance depends on whether its hold has lifted), the
// quantity the planner plans with.
func MixtureMetrics(m *Mixture, seqs []MixtureSequence) Metrics {
	var p, y []float64
	var dep deposits
	post := make([]float64, 0, NumStates)
	scratch := make([]float64, NumStates)
	for n := range seqs {
		s := &seqs[n]
		if len(s.Retries) == 0 {
			continue
		}
		post = m.statePrior(post, m.prior(s.Category, s.Funding, s.Country))
		dep.fill(s.Loc, s.First, s.Retries[len(s.Retries)-1], m.DepositHour)
		prev := dep.at(s.First, s.First)
		for i, t := range s.Retries {
			cur := dep.at(t, s.First)
			w := post
			if m.Activity != nil {
				// The activity seen before this retry, as the planner
				// would weigh it.
				w = append(scratch[:0], post...)
				weighActivity(m, w, &dep, s.First, t, s.Activity)
			}
			var pr, z float64
			for k := range post {
				h := m.Hazard[cell(k, &prev, &cur)]
				pr += w[k] * h
				z += w[k]
				post[k] *= 1 - h
			}
			p = append(p, pr/z)
			if i == len(s.Retries)-1 && s.Success {
				y = append(y, 1)
			} else {
				y = append(y, 0)
			}
			prev = cur
		}
	}
	return Evaluate(p, y)
}
