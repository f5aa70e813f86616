package smartretry

import (
	"math"
	"sort"
)

// Metrics summarise predictions against outcomes on held-out rows.
type Metrics struct {
	Rows        int      `json:"rows"`
	BaseRate    float64  `json:"base_rate"`
	LogLoss     float64  `json:"log_loss"`
	Brier       float64  `json:"brier"`
	AUC         float64  `json:"auc"`
	Calibration []Decile `json:"calibration"`
	MaxGap      float64  `json:"max_calibration_gap"` // over deciles with at least CalibrationMinRows rows
}

// Decile is one bin of the calibration table: rows ranked by prediction
// and cut into ten equal-count bins.
type Decile struct {
	Rows      int     `json:"rows"`
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
}

// CalibrationMinRows is the bin size from which a calibration gap counts
// (the target: within 2 points in every decile of 500 rows or more).
const CalibrationMinRows = 500

// Evaluate computes Metrics of predictions p for outcomes y (0 or 1).
func Evaluate(p, y []float64) Metrics {
	n := len(p)
	m := Metrics{Rows: n}
	if n == 0 {
		return m
	}
	const eps = 1e-12
	var pos float64
	for i := range p {
		q := math.Min(math.Max(p[i], eps), 1-eps)
		m.LogLoss -= y[i]*math.Log(q) + (1-y[i])*math.Log(1-q)
		d := p[i] - y[i]
		m.Brier += d * d
		pos += y[i]
	}
	m.LogLoss /= float64(n)
	m.Brier /= float64(n)
	m.BaseRate = pos / float64(n)

	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	m.AUC = auc(p, y, idx, pos)
	for d := 0; d < 10; d++ {
		lo, hi := d*n/10, (d+1)*n/10
		if hi <= lo {
			continue
		}
		var sp, sy float64
		for _, i := range idx[lo:hi] {
			sp += p[i]
			sy += y[i]
		}
		k := float64(hi - lo)
		dec := Decile{Rows: hi - lo, Predicted: sp / k, Observed: sy / k}
		m.Calibration = append(m.Calibration, dec)
		if dec.Rows >= CalibrationMinRows {
			m.MaxGap = math.Max(m.MaxGap, math.Abs(dec.Predicted-dec.Observed))
		}
	}
	return m
}

// auc is the Mann–Whitney statistic with ties given half credit; idx
// orders p ascending.
func auc(p, y []float64, idx []int, pos float64) float64 {
	neg := float64(len(p)) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean 1-based rank of the tie block
		for _, k := range idx[i:j] {
			rankSum += avg * y[k]
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
