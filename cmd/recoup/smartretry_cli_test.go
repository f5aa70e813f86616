package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
	"github.com/recoupledger/recoup/smartretry"
)

// train, recommend and backtest on a ledger the real engine wrote.
func TestTrainRecommendBacktestCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if out, err := runRecoup(t, "simulate", "--world", "b2c_us", "--customers", "3000", "--days", "60", "--seed", "4", "--out", dir); err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	out, err := runRecoup(t, "train", "--data", dir, "--json")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	var tr struct {
		Model        string             `json:"model"`
		Family       string             `json:"family"`
		ModelVersion string             `json:"model_version"`
		Training     smartretry.Summary `json:"training"`
		Mixture      struct {
			Test     smartretry.Metrics        `json:"test"`
			Training smartretry.MixtureSummary `json:"training"`
		} `json:"mixture"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("train output is not JSON: %v\n%s", err, out)
	}
	if tr.Training.Rows == 0 || tr.Training.Test.Rows == 0 || len(tr.Training.Test.Calibration) == 0 || tr.Model != filepath.Join(dir, "model.json") {
		t.Fatalf("training summary %+v", tr)
	}
	// The default family is the mixture, with its own held-out metrics.
	if mt := tr.Mixture.Test; tr.Family != smartretry.FamilyMixture || !strings.HasPrefix(tr.ModelVersion, "mixture-") || mt.Rows == 0 ||
		len(mt.Calibration) != 10 || mt.AUC <= 0.5 || mt.LogLoss <= 0 || mt.Brier <= 0 || tr.Mixture.Training.Sequences == 0 {
		t.Fatalf("mixture training %+v", tr)
	}
	if lm, err := smartretry.Load(tr.Model); err != nil || lm.Family != smartretry.FamilyMixture || lm.Version != tr.ModelVersion {
		t.Fatalf("the written model: %v %+v", err, lm)
	}
	out, err = runRecoup(t, "train", "--data", dir, "--family", "logistic", "--out", filepath.Join(t.TempDir(), "logistic.json"))
	if err != nil || !strings.Contains(out, "logistic model lr1-") || !strings.Contains(out, "calibration by decile") {
		t.Fatalf("train --family logistic: %v\n%s", err, out)
	}
	if _, err := runRecoup(t, "train", "--data", dir, "--family", "trees"); err == nil || !strings.Contains(err.Error(), "--family") {
		t.Fatalf("train --family trees: %v, want an error naming --family", err)
	}
	// A failed invoice of the ledger to recommend for.
	st, err := pebble.Open(datadir.New(dir).Events(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := smartretry.ScanLedger(context.Background(), st, nil)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// (one whose first charge failed and that retries have not reached yet
	// when the simulation ended, so its window is still open)
	var failed string
	for _, id := range l.Order {
		h := l.Invoices[id]
		if len(h.Attempts) == 1 && h.Failed() {
			if d, ok := domain.Decline(h.Attempts[0].DeclineCode); ok && d.Retryable {
				failed = id
			}
		}
	}
	if failed == "" {
		t.Fatal("no failed invoice in the simulated ledger")
	}
	out, err = runRecoup(t, "recommend", "--data", dir, "--invoice", failed, "--json")
	if err != nil {
		t.Fatalf("recommend: %v\n%s", err, out)
	}
	var rec struct {
		ModelVersion string               `json:"model_version"`
		Schedule     []domain.PlannedSlot `json:"schedule"`
		Top          []domain.PlannedSlot `json:"top_candidates"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("recommend output is not JSON: %v\n%s", err, out)
	}
	if rec.ModelVersion != tr.ModelVersion || len(rec.Top) == 0 || len(rec.Schedule) == 0 {
		t.Fatalf("recommendation %+v (model %s)", rec, tr.ModelVersion)
	}
	out, err = runRecoup(t, "recommend", "--model", tr.Model, "--decline-code", "insufficient_funds", "--funding", "debit", "--tz", "America/Chicago",
		"--amount", "1999", "--failed-at", "2026-03-02T15:00:00Z")
	if err != nil || !strings.Contains(out, "schedule") || !strings.Contains(out, tr.ModelVersion) {
		t.Fatalf("recommend by flags: %v\n%s", err, out)
	}
	for _, bad := range []struct{ flag, value, want string }{
		{"--decline-code", "nope", "--decline-code"},
		{"--network", "diners", "--network"},
		{"--tz", "Mars/Olympus", "--tz"},
		{"--amount", "-5", "--amount"},
		{"--failed-at", "yesterday", "--failed-at"},
	} {
		args := []string{"recommend", "--model", tr.Model, "--decline-code", "insufficient_funds", "--amount", "100", bad.flag, bad.value}
		if _, err := runRecoup(t, args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("recommend %s %s: %v, want an error naming %s", bad.flag, bad.value, err, bad.want)
		}
	}
	cand := filepath.Join(t.TempDir(), "more.json")
	os.WriteFile(cand, []byte(`{"name":"More retries","retries_enabled":true,"schedule":[1,1,1,2,2],"during_recovery":"pause","after_failure_subscription":"cancel","after_failure_invoice":"leave_overdue"}`), 0o644)
	out, err = runRecoup(t, "backtest", "--data", dir, "--candidate", cand, "--bootstrap", "200", "--json")
	if err != nil {
		t.Fatalf("backtest: %v\n%s", err, out)
	}
	var bt struct {
		Invoices  int `json:"failed_invoices"`
		Candidate struct {
			Rec struct{ Estimate, Lo, Hi float64 } `json:"invoices_recovered_pct"`
		} `json:"candidate"`
	}
	if err := json.Unmarshal([]byte(out), &bt); err != nil {
		t.Fatalf("backtest output is not JSON: %v\n%s", err, out)
	}
	if r := bt.Candidate.Rec; bt.Invoices == 0 || r.Lo > r.Estimate || r.Estimate > r.Hi || r.Estimate <= 0 || r.Estimate >= 100 {
		t.Fatalf("backtest result %+v", bt)
	}
	// A smart candidate is planned by the model file's mixture planner;
	// each refit plans with a mixture planner of its own, which measures
	// the optimism taken off the estimate.
	smart := filepath.Join(t.TempDir(), "smart.json")
	os.WriteFile(smart, []byte(`{"name":"Smart","retries_enabled":true,"smart_retries":true,"smart_max_retries":4,"smart_window_days":14,"during_recovery":"pause","after_failure_subscription":"cancel","after_failure_invoice":"leave_overdue"}`), 0o644)
	out, err = runRecoup(t, "backtest", "--data", dir, "--candidate", smart, "--bootstrap", "200", "--refits", "2", "--json")
	if err != nil {
		t.Fatalf("backtest of a smart candidate: %v\n%s", err, out)
	}
	bt.Invoices = 0
	if err := json.Unmarshal([]byte(out), &bt); err != nil || bt.Invoices == 0 || !strings.Contains(out, "smart_optimism_pp") || !strings.Contains(out, `"model_refits": 2`) {
		t.Fatalf("backtest of a smart candidate: %v\n%s", err, out)
	}
	if r := bt.Candidate.Rec; r.Lo > r.Estimate || r.Estimate > r.Hi || r.Estimate <= 0 || r.Estimate >= 100 {
		t.Fatalf("smart backtest result %+v", bt)
	}
	simulateWithModel(t, tr.Model, tr.ModelVersion)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"name":"x","retries_enabled":true,"schedule":[1,1,1,1,1,1,1,1,1,1],"during_recovery":"pause","after_failure_subscription":"cancel","after_failure_invoice":"leave_overdue"}`), 0o644)
	if _, err := runRecoup(t, "backtest", "--data", dir, "--candidate", bad); err == nil || !strings.Contains(err.Error(), "--candidate") {
		t.Fatalf("backtest with an invalid preset: %v", err)
	}
}

// simulateWithModel: simulate --model plans the retries of a smart preset
// with the trained model, as serve does; without it the engine's heuristic
// stands in and says so. A model file that cannot be read is refused,
// naming --model, before anything is written.
func simulateWithModel(t *testing.T, model, version string) {
	t.Helper()
	smart := filepath.Join(t.TempDir(), "smart.json")
	os.WriteFile(smart, []byte(`{"name":"Smart","retries_enabled":true,"smart_retries":true,"smart_max_retries":4,"smart_window_days":14,"during_recovery":"keep_active","after_failure_subscription":"cancel","after_failure_invoice":"leave_overdue"}`), 0o644)
	versions := func(args ...string) map[string]int {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "data")
		args = append([]string{"simulate", "--customers", "400", "--days", "40", "--seed", "11", "--preset", smart, "--out", dir}, args...)
		if out, err := runRecoup(t, args...); err != nil {
			t.Fatalf("simulate %v: %v\n%s", args, err, out)
		}
		st, err := pebble.Open(datadir.New(dir).Events(), pebble.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		recs, err := st.ReadAll(context.Background(), eventstore.ReadAllOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range recs {
			if r.Type != domain.TypeRetryScheduled {
				continue
			}
			ev, err := domain.Decode(r.Type, r.Data)
			if err != nil {
				t.Fatal(err)
			}
			if rs := ev.(domain.RetryScheduled); rs.Source == domain.SourceSmart {
				got[rs.ModelVersion]++
			}
		}
		return got
	}
	if got := versions("--model", model); len(got) != 1 || got[version] < 10 {
		t.Fatalf("simulate --model %s: smart retries by model version %v, want only %s", model, got, version)
	}
	if got := versions(); len(got) != 1 || got[dunning.HeuristicVersion] < 10 {
		t.Fatalf("simulate without --model: smart retries by model version %v, want only %s", got, dunning.HeuristicVersion)
	}
	dir := filepath.Join(t.TempDir(), "data")
	_, err := runRecoup(t, "simulate", "--customers", "10", "--days", "2", "--preset", smart, "--model", filepath.Join(t.TempDir(), "none.json"), "--out", dir)
	if err == nil || !strings.Contains(err.Error(), "--model") {
		t.Fatalf("simulate with a missing model file: %v, want an error naming --model", err)
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Fatalf("simulate with a missing model file created %s", dir)
	}
}
