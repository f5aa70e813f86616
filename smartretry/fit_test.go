package smartretry

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func fitSynth(t *testing.T, invoices int, seed uint64) (*Logistic, Matrix, []float64, Matrix, []float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	cases, times, y := synthRows(r, invoices)
	x := synthMatrix(cases, times)
	cut := x.Rows * 7 / 10
	train := Matrix{Rows: cut, Cols: x.Cols, Data: x.Data[:cut*x.Cols]}
	test := Matrix{Rows: x.Rows - cut, Cols: x.Cols, Data: x.Data[cut*x.Cols:]}
	w, res, err := Fit(context.Background(), train, y[:cut], FitOptions{Lambda: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit: %+v", res)
	return NewLogistic(w, ModelVersion(w)), train, y[:cut], test, y[cut:]
}

func TestFitIsCalibratedOnHeldOut(t *testing.T) {
	m, _, _, test, yt := fitSynth(t, 12000, 7)
	p := make([]float64, test.Rows)
	for i := range p {
		p[i] = m.Score(test.Row(i))
	}
	met := Evaluate(p, yt)
	t.Logf("held-out: rows %d base %.3f logloss %.4f brier %.4f auc %.3f maxgap %.4f", met.Rows, met.BaseRate, met.LogLoss, met.Brier, met.AUC, met.MaxGap)
	for _, d := range met.Calibration {
		t.Logf("  decile rows %d predicted %.3f observed %.3f", d.Rows, d.Predicted, d.Observed)
	}
	if met.AUC < 0.75 {
		t.Errorf("AUC %.3f, want >= 0.75 on a world with strong signals", met.AUC)
	}
	// Ten bins of ~800 rows: binomial noise alone is about 1.7 points, and
	// this world's curves are not logistic in the features, so the bound
	// is looser than the 2-point target checked on the simulator.
	if met.MaxGap > 0.06 {
		t.Errorf("calibration gap %.3f, want <= 0.06", met.MaxGap)
	}
	// A constant predictor at the base rate must do worse.
	base := make([]float64, len(p))
	for i := range base {
		base[i] = met.BaseRate
	}
	if b := Evaluate(base, yt); b.LogLoss <= met.LogLoss {
		t.Errorf("model log-loss %.4f is no better than the base rate's %.4f", met.LogLoss, b.LogLoss)
	}
}

func TestFitGradientMatchesFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	cases, times, y := synthRows(r, 200)
	x := synthMatrix(cases, times)
	ev := &evaluator{x: x, y: y, lambda: 1e-3, workers: 2, partial: [][]float64{make([]float64, x.Cols), make([]float64, x.Cols)}, grad: make([]float64, x.Cols)}
	ev.standardize()
	w := make([]float64, x.Cols)
	for i := range w {
		w[i] = 0.1 * r.NormFloat64()
	}
	ev.eval(w)
	g := append([]float64(nil), ev.grad...)
	f0 := ev.f
	for _, j := range []int{0, 5, lay.timeStart + tHLast, lay.crossStart + 3, x.Cols - 1} {
		w2 := append([]float64(nil), w...)
		const h = 1e-6
		w2[j] += h
		ev.eval(w2)
		num := (ev.f - f0) / h
		if math.Abs(num-g[j]) > 1e-4*math.Max(1, math.Abs(g[j])) {
			t.Errorf("gradient[%d] (%s) = %g, finite difference %g", j, lay.names[j], g[j], num)
		}
	}
}

func TestFitRefusesMismatchedLabels(t *testing.T) {
	_, _, err := Fit(context.Background(), NewMatrix(3, 2), []float64{1}, FitOptions{})
	if err == nil {
		t.Fatal("Fit accepted 3 rows with 1 label")
	}
}

func TestEvaluateAUC(t *testing.T) {
	tests := []struct {
		name string
		p, y []float64
		want float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []float64{0, 0, 1, 1}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []float64{0, 0, 1, 1}, 0},
		{"ties", []float64{0.5, 0.5, 0.5, 0.5}, []float64{0, 1, 0, 1}, 0.5},
		{"one swap", []float64{0.1, 0.6, 0.5, 0.9}, []float64{0, 0, 1, 1}, 0.75},
	}
	for _, tc := range tests {
		if got := Evaluate(tc.p, tc.y).AUC; math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: AUC %g, want %g", tc.name, got, tc.want)
		}
	}
}
