package backtest

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/recoupledger/recoup/smartretry"
)

// The model's log-odds of an attempt are a part fixed by the invoice (the
// decline, the card, the customer: the static columns), a part set by the
// run's sequence (attempt number, time since the last attempt and since
// the failure) and a calendar part (hour, weekday, paydays), crossings
// counted with the feature they cross. A planner chooses among times, so
// it chooses on the last two, and where they carry fitted noise it
// chooses the noise.
//
// Conditioning on the prediction undoes what selecting on it does:
// E[y | predicted] is the same whichever slots were picked. So the
// backtest scores with the model recalibrated out of fold, y ~ a + b_s·s
// + b_q·q + b_c·c, fitted on the parts that models trained on the other
// folds (by customer) gave each row. A slope below one says how much of
// a part's contrasts is noise, which the deployed model, fitted on all
// rows, has likewise (a little less: it has a fifth more rows); its plans
// are then valued by what the model's claims have been worth out of
// sample. The planner itself is left as deployed: the backtest estimates
// what it would do. This removes the curse that is fitted noise; a bias
// that every fit of the family shares (the smart candidate's remaining
// excess, see doc.go) is beyond it.

// recalFolds is the number of cross-fitting folds.
const recalFolds = 5

// Recalibration is the out-of-fold recalibration of a linear model's
// log-odds: Intercept + Static·s + Sequence·q + Calendar·c.
type Recalibration struct {
	Intercept float64 `json:"intercept"`
	Static    float64 `json:"static_slope"`
	Sequence  float64 `json:"sequence_slope"`
	Calendar  float64 `json:"calendar_slope"`
	// Cells are log-odds offsets by retry number and gap since the last
	// attempt (cells.go), fitted out of fold with the slopes.
	Cells [numCells]float64 `json:"cell_offsets"`
}

// coef is r as a vector over (1, parts...).
func (r Recalibration) coef() [numParts + 1]float64 {
	return [numParts + 1]float64{r.Intercept, r.Static, r.Sequence, r.Calendar}
}

// The log-odds' parts: the invoice's (static columns and the bias), the
// run's sequence (attempt number, time since the last attempt and the
// failure) and the calendar (hour, weekday, paydays), crossings counted
// with the feature they cross.
const (
	partStatic = iota
	partSequence
	partCalendar
	numParts
)

// sequenceFeatures are the time features of the run's sequence.
var sequenceFeatures = []string{"log_attempt", "first_retry", "hours_since_last_attempt", "within_24h_of_last_attempt",
	"fresh_failure_6h", "fresh_failure_36h", "fresh_failure_120h", "hours_since_first_failure", "weeks_since_first_failure"}

// partOf is each column's part (nil if the layout lacks the time block).
var partOf = func() []int {
	names := smartretry.FeatureNames()
	start := slices.Index(names, "log_attempt")
	if start < 0 {
		return nil
	}
	out := make([]int, len(names))
	for j, n := range names {
		switch {
		case j < start:
			out[j] = partStatic
		case slices.Contains(sequenceFeatures, strings.SplitN(n, "*", 2)[0]):
			out[j] = partSequence
		default:
			out[j] = partCalendar
		}
	}
	return out
}()

// parts splits a linear model's log-odds of row x.
func parts(w, x []float64) (p [numParts]float64) {
	for j, k := range partOf {
		p[k] += w[j] * x[j]
	}
	return p
}

// recalScorer scores with a linear model's recalibrated log-odds.
type recalScorer struct {
	smartretry.Linear
	r Recalibration
}

// Score implements smartretry.Scorer.
func (r *recalScorer) Score(x []float64) float64 {
	p, b := parts(r.Weights(), x), r.r.coef()
	z := b[0] + r.r.Cells[cellOfRow(x)]
	for k, v := range p {
		z += b[k+1] * v
	}
	return 1 / (1 + math.Exp(-z))
}

// recalibrated is sc scored with r, or sc itself if it is not linear.
func recalibrated(sc smartretry.Scorer, r *Recalibration) smartretry.Scorer {
	lin, ok := sc.(smartretry.Linear)
	if !ok || r == nil || partOf == nil {
		return sc
	}
	return &recalScorer{Linear: lin, r: *r}
}

// customerHash places a customer's rows in folds and halves.
func customerHash(customer string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(customer))
	return h.Sum64()
}

// crossRecal fits the out-of-fold recalibration of train's models on the
// ledger's rows (nil when the model is not linear).
func crossRecal(ctx context.Context, l *smartretry.Ledger, rows []smartretry.TrainingRow, train TrainFunc) (*Recalibration, error) {
	if partOf == nil {
		return nil, nil
	}
	fold := make([]int, len(rows))
	for i := range rows {
		c := l.Invoices[rows[i].InvoiceID].Finalized.CustomerID
		if c == "" {
			c = rows[i].InvoiceID
		}
		fold[i] = int(customerHash(c) % recalFolds)
	}
	var ps [][numParts]float64
	var cells []int
	var ys []float64
	x := make([]float64, len(smartretry.FeatureNames()))
	for f := 0; f < recalFolds; f++ {
		var in []smartretry.TrainingRow
		for i := range rows {
			if fold[i] != f {
				in = append(in, rows[i])
			}
		}
		if len(in) == 0 {
			continue
		}
		sc, err := train(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("cross-fit %d: %w", f+1, err)
		}
		lin, ok := sc.(smartretry.Linear)
		if !ok {
			return nil, nil
		}
		w := lin.Weights()
		for i := range rows {
			if fold[i] != f {
				continue
			}
			smartretry.Row(&rows[i].Case, rows[i].At, x)
			ps = append(ps, parts(w, x))
			cells = append(cells, cellOfRow(x))
			y := 0.0
			if rows[i].Success {
				y = 1
			}
			ys = append(ys, y)
		}
	}
	if len(ys) == 0 {
		return nil, nil
	}
	r := fitRecalCells(ps, cells, ys)
	return &r, nil
}

// fitRecalCells fits y ~ sigmoid(a + Σ b_k·part_k + δ_cell) by Newton's
// method, with a small ridge towards the identity (a=0, b=1, δ=0) for
// sparse ledgers; cells nil fits no offsets. The offsets' ridge is heavy
// (150 rows' worth of information): a cell keeps I/(I+150) of its own
// evidence, where I is its information (rows·p·(1−p)), so a cell of a few
// hundred day-apart retries keeps about a quarter of it. The refits each
// fit their own offsets, so an offset's noise widens the intervals: with
// a ridge of 5 or 50 the more-retries candidate's half-width was 2.7 or
// 2.1 points on a history of 20,000 invoices, 1.6 with 150, and all three
// fixed candidates stayed covered.
func fitRecalCells(ps [][numParts]float64, cells []int, y []float64) Recalibration {
	const ridge = 1.0       // in rows' worth of information
	const cellRidge = 150.0 // likewise, for each offset
	const n = numParts + 1 + numCells
	var prior [n]float64
	id := Recalibration{Static: 1, Sequence: 1, Calendar: 1}.coef()
	copy(prior[:], id[:])
	b := prior
	pen := func(k int) float64 {
		if k > numParts {
			return cellRidge
		}
		return ridge
	}
	// z is row i's log-odds under b.
	z := func(i int, b *[n]float64) float64 {
		v := b[0]
		for k := range numParts {
			v += b[k+1] * ps[i][k]
		}
		if cells != nil {
			v += b[numParts+1+cells[i]]
		}
		return v
	}
	for it := 0; it < 50; it++ {
		var g [n]float64
		var hh [n][n]float64
		for k := range n {
			g[k] = -pen(k) * (b[k] - prior[k])
			hh[k][k] = pen(k)
		}
		var v [numParts + 2]float64 // (1, parts..., the row's offset)
		var idx [numParts + 2]int   // v's places in b (-1: none)
		for i := range y {
			v[0] = 1
			copy(v[1:], ps[i][:])
			for a := range numParts + 1 {
				idx[a] = a
			}
			v[numParts+1], idx[numParts+1] = 0, -1
			if cells != nil {
				v[numParts+1], idx[numParts+1] = 1, numParts+1+cells[i]
			}
			p := 1 / (1 + math.Exp(-z(i, &b)))
			w := p * (1 - p)
			for a := range v {
				if idx[a] < 0 {
					continue
				}
				g[idx[a]] += (y[i] - p) * v[a]
				for c := range v {
					if idx[c] >= idx[a] {
						hh[idx[a]][idx[c]] += w * v[a] * v[c]
					}
				}
			}
		}
		h := mat.NewSymDense(n, nil)
		for k := range n {
			for m := k; m < n; m++ {
				h.SetSym(k, m, hh[k][m])
			}
		}
		var d mat.VecDense
		if err := d.SolveVec(h, mat.NewVecDense(n, g[:])); err != nil {
			break
		}
		step := 0.0
		for k := range n {
			b[k] += d.AtVec(k)
			step += math.Abs(d.AtVec(k))
		}
		if step < 1e-9 {
			break
		}
	}
	// A slope is a shrinkage factor: below zero says the part carries no
	// signal out of fold (not that its contrasts should be reversed),
	// above two that it is not identified; either happens only on small
	// ledgers, where a part's out-of-fold values are mostly noise. Slopes
	// are held to [0, 2] and the intercept refitted with them.
	clamped := false
	for k := 1; k <= numParts; k++ {
		if c := min(max(b[k], 0), 2); c != b[k] {
			b[k], clamped = c, true
		}
	}
	if clamped {
		b[0] = 0
		off := make([]float64, len(y))
		for i := range y {
			off[i] = z(i, &b)
		}
		b[0] = fitIntercept(off, y)
	}
	r := Recalibration{Intercept: b[0], Static: b[1], Sequence: b[2], Calendar: b[3]}
	copy(r.Cells[:], b[numParts+1:])
	return r
}

// fitIntercept is the intercept maximising the likelihood of y with each
// row's log-odds otherwise fixed at off (Newton's method).
func fitIntercept(off, y []float64) float64 {
	a := 0.0
	for it := 0; it < 50; it++ {
		var g, h float64
		for i := range y {
			p := 1 / (1 + math.Exp(-(a + off[i])))
			g += y[i] - p
			h += p * (1 - p)
		}
		if h <= 0 {
			break
		}
		d := g / h
		a += d
		if math.Abs(d) < 1e-9 {
			break
		}
	}
	return a
}
