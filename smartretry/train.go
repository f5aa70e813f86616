package smartretry

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// TrainOptions tune Train.
type TrainOptions struct {
	Fit FitOptions
	// TestShare is the share of invoices held out for the metrics
	// (default 0.2); the split is by invoice so no invoice's attempts are
	// on both sides.
	TestShare float64
}

// DefaultLambda is the L2 penalty used when none is given.
const DefaultLambda = 1e-3

// heldOut places an invoice on the test side of the split, by a hash of
// its ID so the split is stable across runs and machines.
func heldOut(invoiceID string, share float64) bool {
	h := fnv.New64a()
	h.Write([]byte(invoiceID))
	return float64(h.Sum64()%10000) < share*10000
}

// Train fits the logistic hazard model on the training side of rows and
// reports metrics on the held-out side.
func Train(ctx context.Context, rows []TrainingRow, opts TrainOptions) (*Logistic, Summary, error) {
	if opts.TestShare <= 0 || opts.TestShare >= 1 {
		opts.TestShare = 0.2
	}
	if opts.Fit.Lambda == 0 {
		opts.Fit.Lambda = DefaultLambda
	}
	var train, test []int
	for i := range rows {
		if heldOut(rows[i].InvoiceID, opts.TestShare) {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	if len(train) == 0 {
		return nil, Summary{}, fmt.Errorf("train: data: no training rows (the ledger has no retries after a failure)")
	}
	x, y := Design(rows, train)
	w, res, err := Fit(ctx, x, y, opts.Fit)
	if err != nil {
		return nil, Summary{}, fmt.Errorf("train: %w", err)
	}
	m := NewLogistic(w, ModelVersion(w))
	s := Summary{TrainedAt: time.Now().UTC(), Rows: len(rows), TrainRows: len(train), TestRows: len(test), Lambda: opts.Fit.Lambda, Fit: res}
	if len(test) > 0 {
		xt, yt := Design(rows, test)
		s.Test = Evaluate(Predict(m, xt), yt)
	}
	return m, s, nil
}

// Design builds the dense design matrix and labels of the chosen rows.
func Design(rows []TrainingRow, idx []int) (Matrix, []float64) {
	x := NewMatrix(len(idx), len(lay.names))
	y := make([]float64, len(idx))
	for k, i := range idx {
		Row(&rows[i].Case, rows[i].At, x.Row(k))
		if rows[i].Success {
			y[k] = 1
		}
	}
	return x, y
}

// Predict scores every row of x.
func Predict(sc Scorer, x Matrix) []float64 {
	p := make([]float64, x.Rows)
	for i := range p {
		p[i] = sc.Score(x.Row(i))
	}
	return p
}
