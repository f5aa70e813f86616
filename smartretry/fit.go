package smartretry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// Matrix is a dense row-major design matrix.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix allocates a rows × cols matrix.
func NewMatrix(rows, cols int) Matrix {
	return Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Row returns row i (aliasing the matrix).
func (m Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// FitOptions tune the fit.
type FitOptions struct {
	// Lambda is the L2 penalty on every weight but the bias, on the mean
	// log-loss scale.
	Lambda float64
	// Workers split the gradient over goroutines (default 2).
	Workers int
	// MaxIterations bounds L-BFGS major iterations (default 200).
	MaxIterations int
}

// FitResult reports how the fit went.
type FitResult struct {
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	Loss        float64 `json:"loss"`
	Status      string  `json:"status"`
}

// Fit minimises mean log-loss plus Lambda/2·|w|² with gonum's L-BFGS and
// an analytic gradient. Each evaluation makes one pass over the matrix,
// computing the loss and gradient together, split across Workers.
func Fit(ctx context.Context, x Matrix, y []float64, opts FitOptions) ([]float64, FitResult, error) {
	if x.Rows == 0 || x.Rows != len(y) {
		return nil, FitResult{}, fmt.Errorf("fit: rows: need at least one row and one label per row (rows %d, labels %d)", x.Rows, len(y))
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.MaxIterations <= 0 {
		opts.MaxIterations = 200
	}
	ev := &evaluator{x: x, y: y, lambda: opts.Lambda, workers: opts.Workers}
	ev.standardize()
	ev.partial = make([][]float64, opts.Workers)
	for i := range ev.partial {
		ev.partial[i] = make([]float64, x.Cols)
	}
	ev.grad = make([]float64, x.Cols)
	p := optimize.Problem{
		Func: func(w []float64) float64 { ev.eval(w); return ev.f },
		Grad: func(g, w []float64) { ev.eval(w); copy(g, ev.grad) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-6,
		MajorIterations:   opts.MaxIterations,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-7, Relative: 1e-5, Iterations: 5},
	}
	w0 := make([]float64, x.Cols)
	res, err := optimize.Minimize(p, w0, settings, &optimize.LBFGS{Store: 20})
	if err != nil && !errors.Is(err, ctx.Err()) && res != nil && res.Status != optimize.Failure {
		err = nil // e.g. a line search that cannot improve further: keep the best point
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, FitResult{}, fmt.Errorf("fit: %w", ctxErr)
	}
	if res == nil {
		return nil, FitResult{}, fmt.Errorf("fit: %w", err)
	}
	w := ev.original(res.X)
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, FitResult{}, errors.New("fit: the optimiser diverged (non-finite weight)")
		}
	}
	return w, FitResult{Iterations: res.MajorIterations, Evaluations: ev.calls, Loss: res.F, Status: res.Status.String()}, nil
}

// evaluator computes loss and gradient in one pass and caches them for
// the last point, because L-BFGS asks for the function and then the
// gradient at the same point.
//
// The optimiser works on standardised columns, (x−μ)/σ, which makes the
// problem far better conditioned (one-hot blocks, hour harmonics and log
// hours have very different scales) and cuts L-BFGS iterations several
// fold. The matrix itself is never rewritten: z = Σ (w'_j/σ_j)·x_j − Σ
// w'_j·μ_j/σ_j, and the gradient folds μ and σ back the same way. The
// penalty applies to the standardised weights; column 0 is the bias.
type evaluator struct {
	x       Matrix
	y       []float64
	lambda  float64
	workers int
	mu, sd  []float64
	v       []float64 // effective raw-scale weights of the current point
	// The rows' non-zero entries (about a third: one-hot blocks and
	// crossings with inactive groups are zero), gathered once so each pass
	// touches only them.
	ptr  []int
	idx  []int32
	val  []float64
	sumR []float64 // per worker: Σ residuals

	at      []float64
	f       float64
	grad    []float64
	partial [][]float64
	calls   int
}

// standardize computes column means and deviations (the bias column and
// constant columns keep μ=0, σ=1).
func (e *evaluator) standardize() {
	cols, n := e.x.Cols, e.x.Rows
	e.mu, e.sd = make([]float64, cols), make([]float64, cols)
	sq := make([]float64, cols)
	for i := 0; i < n; i++ {
		row := e.x.Data[i*cols : (i+1)*cols]
		for j, v := range row {
			e.mu[j] += v
			sq[j] += v * v
		}
	}
	for j := range e.mu {
		m := e.mu[j] / float64(n)
		v := sq[j]/float64(n) - m*m
		if j == 0 || v < 1e-12 {
			e.mu[j], e.sd[j] = 0, 1
			continue
		}
		e.mu[j], e.sd[j] = m, math.Sqrt(v)
	}
	e.v = make([]float64, cols)
	e.sumR = make([]float64, e.workers)
	nz := 0
	for _, v := range e.x.Data {
		if v != 0 {
			nz++
		}
	}
	e.ptr = make([]int, n+1)
	e.idx = make([]int32, 0, nz)
	e.val = make([]float64, 0, nz)
	for i := 0; i < n; i++ {
		for j, v := range e.x.Data[i*cols : (i+1)*cols] {
			if v != 0 {
				e.idx = append(e.idx, int32(j))
				e.val = append(e.val, v)
			}
		}
		e.ptr[i+1] = len(e.idx)
	}
}

// original maps standardised weights back to the raw columns.
func (e *evaluator) original(ws []float64) []float64 {
	w := make([]float64, len(ws))
	for j := 1; j < len(ws); j++ {
		w[j] = ws[j] / e.sd[j]
		w[0] -= w[j] * e.mu[j]
	}
	w[0] += ws[0]
	return w
}

func (e *evaluator) eval(ws []float64) {
	if e.at != nil && slices.Equal(e.at, ws) {
		return
	}
	e.calls++
	n := e.x.Rows
	if e.mu == nil {
		e.standardize()
	}
	w := e.v
	copy(w, e.original(ws))
	losses := make([]float64, e.workers)
	var wg sync.WaitGroup
	chunk := (n + e.workers - 1) / e.workers
	for k := 0; k < e.workers; k++ {
		lo, hi := k*chunk, min((k+1)*chunk, n)
		wg.Add(1)
		go func(k, lo, hi int) {
			defer wg.Done()
			losses[k], e.sumR[k] = e.pass(w, lo, hi, e.partial[k])
		}(k, lo, hi)
	}
	wg.Wait()
	inv := 1 / float64(n)
	var f float64
	for k := range losses {
		f += losses[k]
	}
	f *= inv
	var sumR float64
	for k := range e.sumR {
		sumR += e.sumR[k]
	}
	for j := range e.grad {
		var g float64
		for k := range e.partial {
			g += e.partial[k][j]
		}
		// d/dw'_j of Σ loss = Σ r·(x_j − μ_j)/σ_j
		e.grad[j] = (g - e.mu[j]*sumR) / e.sd[j] * inv
	}
	for j := 1; j < len(ws); j++ { // no penalty on the bias
		f += 0.5 * e.lambda * ws[j] * ws[j]
		e.grad[j] += e.lambda * ws[j]
	}
	e.f = f
	e.at = append(e.at[:0], ws...)
}

// pass accumulates the summed log-loss, the raw gradient Σ r·x and Σ r
// of rows [lo, hi), for raw-scale weights w.
func (e *evaluator) pass(w []float64, lo, hi int, g []float64) (float64, float64) {
	clear(g)
	var loss, sumR float64
	for i := lo; i < hi; i++ {
		idx, val := e.idx[e.ptr[i]:e.ptr[i+1]], e.val[e.ptr[i]:e.ptr[i+1]]
		val = val[:len(idx)]
		var z float64
		for k, j := range idx {
			z += w[j] * val[k]
		}
		p := sigmoid(z)
		y := e.y[i]
		// log(1+exp(z)) - y*z, computed stably
		if z > 0 {
			loss += z + math.Log1p(math.Exp(-z)) - y*z
		} else {
			loss += math.Log1p(math.Exp(z)) - y*z
		}
		r := p - y
		sumR += r
		for k, j := range idx {
			g[j] += r * val[k]
		}
	}
	return loss, sumR
}
