package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// benchInvoices is the size of the training history benchModel fits on.
const benchInvoices = 10000

// benchModel is the model `recoup train` writes by default, the mixture
// with its logistic fallback, trained (smartretry.TrainFamily) on a
// history of 10,000 failed invoices of the default world and read back
// through the loader that serve uses, so the benchmarks plan with what
// the server ships. It is trained once per process.
var benchModel = sync.OnceValues(func() (*smartretry.Loaded, error) {
	ctx := context.Background()
	m, err := simulator.OpenWorld("b2c_us", datasets.World)
	if err != nil {
		return nil, fmt.Errorf("bench model: %w", err)
	}
	rec, err := smartsim.TrainingHistory(ctx, m, 1, smartsim.TrainOptions{Invoices: benchInvoices})
	if err != nil {
		return nil, fmt.Errorf("bench model: %w", err)
	}
	lm, err := smartretry.TrainFamily(ctx, rec.Ledger, smartretry.FamilyMixture, smartretry.TrainOptions{}, "bench")
	if err != nil {
		return nil, fmt.Errorf("bench model: %w", err)
	}
	b, err := json.Marshal(lm.MixtureFile)
	if err != nil {
		return nil, err
	}
	return smartretry.Decode(b)
})
