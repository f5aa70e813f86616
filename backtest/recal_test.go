package backtest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/smartretry"
)

// fitRecalCells without cells recovers the slopes of log-odds parts whose claims are worth
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
		got := fitRecalCells(ps, nil, y)
		if want.Calendar < 0 {
			// A reversed part is no signal: its slope is held at zero and
			// the intercept refitted, which still fits the base rate.
			want.Calendar = 0
			if got.Calendar != 0 || math.Abs(got.Static-want.Static) > 0.1 {
				t.Errorf("fitRecalCells = %+v, want the calendar slope held at 0", got)
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
			t.Errorf("fitRecalCells = %+v, want about %+v", got, want)
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

// fitRecalCells recovers the offsets of cells whose rows succeed more (or
// less) often than the parts say, next to the slopes; a cell without rows
// keeps no offset.
func TestFitRecalRecoversCellOffsets(t *testing.T) {
	want := Recalibration{Intercept: -0.1, Static: 0.9, Sequence: 0.8, Calendar: 0.7}
	want.Cells[1], want.Cells[3], want.Cells[4] = -0.6, 0.4, -0.3
	r := rand.New(rand.NewPCG(3, 4))
	n := 60000
	ps, cells, y := make([][numParts]float64, n), make([]int, n), make([]float64, n)
	for i := range y {
		ps[i] = [numParts]float64{-1.5 + r.NormFloat64(), r.NormFloat64(), 0.5 * r.NormFloat64()}
		cells[i] = r.IntN(5) // cell 5 has no rows
		b := want.coef()
		z := b[0] + b[1]*ps[i][0] + b[2]*ps[i][1] + b[3]*ps[i][2] + want.Cells[cells[i]]
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	got := fitRecalCells(ps, cells, y)
	if math.Abs(got.Static-want.Static) > 0.06 || math.Abs(got.Sequence-want.Sequence) > 0.06 || math.Abs(got.Calendar-want.Calendar) > 0.1 {
		t.Errorf("slopes %+v, want about %+v", got, want)
	}
	// The offsets are identified up to the intercept: compare contrasts
	// with cell 0.
	for c := 1; c < 5; c++ {
		if d, w := got.Cells[c]-got.Cells[0], want.Cells[c]-want.Cells[0]; math.Abs(d-w) > 0.12 {
			t.Errorf("cell %d: offset %.3f over cell 0, want %.3f", c, d, w)
		}
	}
	for c := 5; c < numCells; c++ {
		if got.Cells[c] != 0 {
			t.Errorf("cell %d has no rows but an offset %v", c, got.Cells[c])
		}
	}
}

// cellOfRow reads the retry number (probes within the probe window of the
// failure not counted, as the model counts them) and, after the first,
// the gap since the last attempt from the row the model scores.
func TestCellOfRow(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	h := func(hours float64) time.Time { return t0.Add(time.Duration(hours * float64(time.Hour))) }
	tests := []struct {
		name  string
		prior []float64 // hours of the failed attempts after the first
		at    float64
		want  int
	}{
		{"first retry within hours", nil, 2, 0},
		{"first retry two days on", nil, 48, 0},
		{"second retry the same day", []float64{24}, 27, 1},
		{"second retry half a day on", []float64{24}, 36, 2},
		{"second retry a day on", []float64{24}, 48, 3},
		{"second retry two days on", []float64{24}, 72, 4},
		{"second retry four days on", []float64{24}, 120, 5},
		{"third retry a day on", []float64{24, 48}, 72, numGapCells + 3},
		{"fifth retry four days on", []float64{24, 48, 72, 96}, 192, 2 * numGapCells},
		{"after a probe, counted as the first retry", []float64{3}, 24, 0},
		{"a probe then two retries: the second", []float64{3, 24}, 48, 3},
	}
	x := make([]float64, len(smartretry.FeatureNames()))
	for _, tt := range tests {
		c := smartretry.Case{Loc: time.UTC, Attempts: []smartretry.Attempt{{At: t0, DeclineCode: "insufficient_funds"}}}
		for _, p := range tt.prior {
			c.Attempts = append(c.Attempts, smartretry.Attempt{At: h(p), DeclineCode: "insufficient_funds"})
		}
		c.Decision = c.Attempts[len(c.Attempts)-1].At
		smartretry.Row(&c, h(tt.at), x)
		if got := cellOfRow(x); got != tt.want {
			t.Errorf("%s: cell %d, want %d", tt.name, got, tt.want)
		}
	}
}
