package smartretry

import (
	"math"
	"sync/atomic"

	"github.com/recoupledger/recoup/domain"
)

// Scorer predicts the chance that an attempt succeeds from its feature
// row (see FeatureNames). The logistic model is one family; another (a
// tree ensemble, say) implements the same interface and the optimizer
// uses it through Score, at the cost of scoring full rows.
type Scorer interface {
	// Version names the fitted model; every recommendation carries it.
	Version() string
	// Score returns P(success) for one feature row.
	Score(x []float64) float64
	// Explain returns the features that pushed the prediction most.
	Explain(x []float64, top int) []domain.Contribution
}

// Linear is implemented by scorers whose log-odds are a dot product with
// a weight vector; the optimizer then folds the per-invoice part once and
// scores a grid of times with a few multiplications per slot.
type Linear interface {
	Scorer
	Weights() []float64
}

// Logistic is L2-regularised logistic regression over the feature row:
// a discrete-time hazard model, P(success | attempt at t, history).
type Logistic struct {
	W       []float64
	version string
	fold    atomic.Pointer[folded] // the planner's tables (fold.go)
}

var _ Linear = (*Logistic)(nil)

// NewLogistic wraps fitted weights; version names them.
func NewLogistic(w []float64, version string) *Logistic {
	return &Logistic{W: w, version: version}
}

// Version implements Scorer.
func (m *Logistic) Version() string { return m.version }

// Weights implements Linear.
func (m *Logistic) Weights() []float64 { return m.W }

// Score implements Scorer.
func (m *Logistic) Score(x []float64) float64 { return sigmoid(dot(m.W, x)) }

// Explain implements Scorer: a feature's contribution is weight × value,
// in log-odds; the bias is left out. The top are kept by insertion as the
// row is read (a recommendation explains a handful of its hundreds of
// features), in order of decreasing size; of equal sizes, the earlier
// feature comes first.
func (m *Logistic) Explain(x []float64, top int) []domain.Contribution {
	top = max(top, 0)
	out := make([]domain.Contribution, 0, top)
	for i := 1; i < len(x); i++ {
		if x[i] == 0 || m.W[i] == 0 {
			continue
		}
		e := m.W[i] * x[i]
		a := math.Abs(e)
		k := len(out)
		if k == top {
			if k == 0 || a <= math.Abs(out[k-1].Effect) {
				continue
			}
			k--
		} else {
			out = out[:k+1]
		}
		for ; k > 0 && math.Abs(out[k-1].Effect) < a; k-- {
			out[k] = out[k-1]
		}
		out[k] = domain.Contribution{Feature: lay.names[i], Value: x[i], Effect: e}
	}
	return out
}

func dot(a, b []float64) float64 {
	a = a[:len(b)] // one bounds check, not one per element
	var s0, s1 float64
	i := 0
	for ; i+1 < len(b); i += 2 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
	}
	if i < len(b) {
		s0 += a[i] * b[i]
	}
	return s0 + s1
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
