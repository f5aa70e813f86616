package main

import (
	"log/slog"

	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/smartretry"
)

// The smart policy joins every `recoup eval`: it trains on a history of
// 50,000 failed invoices drawn from the same world (the training
// population, never the held-out one), then plans each held-out invoice.
func init() {
	registerEvalPlanner(smartsim.EvalPlanner(smartsim.TrainOptions{}, func(s smartretry.Summary) {
		slog.Info("smart: model trained on the world's training history",
			"rows", s.Rows, "held_out_rows", s.TestRows, "auc", s.Test.AUC, "log_loss", s.Test.LogLoss, "max_calibration_gap", s.Test.MaxGap)
	}))
}
