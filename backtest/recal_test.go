package backtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/recoupledger/recoup/smartretry"
)

// fitRecal recovers the slopes of log-odds parts whose claims are worth
// less (or more) than they say.
func TestFitRecalRecoversSlopes(t *testing.T) {
	tests := []Recalibration{
		{Intercept: 0, Static: 1, Sequence: 1, Calendar: 1},
		{Intercept: -0.3, Static: 0.9, Sequence: 0.8, Calendar: 0.6},
		{Intercept: 0.2, Static: 1.2, Sequence: 1, Calendar: 0.3},
		{Intercept: -0.2, Static: 1, Sequence: 1, Calendar: -0.8},
	}
	for _, want := range tests {
		r := rand.New(rand.NewPCG(1, 2))
		n := 40000
		ps, y := make([][numParts]float64, n), make([]float64, n)
		for i := range y {
			ps[i] = [numParts]float64{-1.5 + r.NormFloat64(), r.NormFloat64(), 0.5 * r.NormFloat64()}
			b := want.coef()
			p := 1 / (1 + math.Exp(-(b[0] + b[1]*ps[i][0] + b[2]*ps[i][1] + b[3]*ps[i][2])))
			if r.Float64() < p {
				y[i] = 1
			}
		}
		got := fitRecal(ps, y)
		if want.Calendar < 0 {
			// A reversed part is no signal: its slope is held at zero and
			// the intercept refitted, which still fits the base rate.
			want.Calendar = 0
			if got.Calendar != 0 || math.Abs(got.Static-want.Static) > 0.1 {
				t.Errorf("fitRecal = %+v, want the calendar slope held at 0", got)
			}
			var py, sy float64
			for i := range y {
				z := got.Intercept + got.Static*ps[i][0] + got.Sequence*ps[i][1]
				py += 1 / (1 + math.Exp(-z))
				sy += y[i]
			}
			if math.Abs(py-sy) > 1e-3*float64(n) {
				t.Errorf("refitted intercept predicts %.0f successes, observed %.0f", py, sy)
			}
			continue
		}
		if math.Abs(got.Intercept-want.Intercept) > 0.08 || math.Abs(got.Static-want.Static) > 0.06 ||
			math.Abs(got.Sequence-want.Sequence) > 0.06 || math.Abs(got.Calendar-want.Calendar) > 0.1 {
			t.Errorf("fitRecal = %+v, want about %+v", got, want)
		}
	}
}

// At the identity the recalibrated scorer is the model; a time slope
// below one pulls the time part's contrasts towards zero.
func TestRecalibratedScorer(t *testing.T) {
	w := make([]float64, len(smartretry.FeatureNames()))
	for j := range w {
		w[j] = 0.01 * float64(j%7-3)
	}
	m := smartretry.NewLogistic(w, "t")
	x := make([]float64, len(w))
	for j := range x {
		x[j] = float64(j%5) / 4
	}
	if got, want := recalibrated(m, &Recalibration{Static: 1, Sequence: 1, Calendar: 1}).Score(x), m.Score(x); math.Abs(got-want) > 1e-12 {
		t.Errorf("identity recalibration scores %v, the model %v", got, want)
	}
	p := parts(w, x)
	got := recalibrated(m, &Recalibration{Static: 1, Sequence: 1, Calendar: 0.5}).Score(x)
	if want := 1 / (1 + math.Exp(-(p[partStatic] + p[partSequence] + 0.5*p[partCalendar]))); math.Abs(got-want) > 1e-12 {
		t.Errorf("half calendar slope scores %v, want %v", got, want)
	}
	if recalibrated(m, nil) != smartretry.Scorer(m) {
		t.Error("no recalibration must leave the model as it is")
	}
}
