package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/api"
	"github.com/recoupledger/recoup/smartretry"
)

// testMixtureFile fits a small mixture on made-up failed invoices (funds
// shortfalls that succeed more often just after the 1st) with a logistic
// fallback of fixed weights, and writes its model file.
func testMixtureFile(t *testing.T, path string) *smartretry.Loaded {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skip("no time zone data")
	}
	r := rand.New(rand.NewPCG(3, 9))
	var seqs []smartretry.MixtureSequence
	for i := 0; i < 400; i++ {
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, loc).Add(time.Duration(r.IntN(150*24)) * time.Hour)
		s := smartretry.MixtureSequence{Category: "insufficient_funds", Funding: "debit", Country: "US", Loc: loc, First: first}
		at := first
		for k := 0; k < 4; k++ {
			at = at.Add(time.Duration(2+r.IntN(72)) * time.Hour)
			s.Retries = append(s.Retries, at)
			p := 0.03
			if d := at.In(loc).Day(); d <= 2 {
				p = 0.5
			}
			if r.Float64() < p {
				s.Success = true
				break
			}
		}
		seqs = append(seqs, s)
	}
	m, err := smartretry.FitMixture(context.Background(), seqs, smartretry.MixtureOptions{Iterations: 5, DepositHours: []int{4}, HoldOut: 5})
	if err != nil {
		t.Fatal(err)
	}
	w := make([]float64, len(smartretry.FeatureNames()))
	w[0] = -2
	lg := smartretry.NewLogistic(w, smartretry.ModelVersion(w))
	mf, err := smartretry.NewMixtureFile(m, smartretry.NewModelFile(lg, smartretry.Summary{}), smartretry.MixtureSummary{Sequences: len(seqs), HoldOut: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := smartretry.WriteMixtureModel(path, mf); err != nil {
		t.Fatal(err)
	}
	l, err := smartretry.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestServeMixtureModel: serve loads a mixture model file and answers
// recommendations with it over loopback; a corrupt model file stops the
// server from starting, naming the file.
func TestServeMixtureModel(t *testing.T) {
	dir := t.TempDir()
	lm := testMixtureFile(t, modelFile(dir))
	keys, err := api.ParseKeys("serve_test_key_0123456789:admin")
	if err != nil {
		t.Fatal(err)
	}
	base, shutdown := serveApp(t, appOptions{data: dir, keys: keys, log: slog.New(slog.DiscardHandler)})
	body := `{"context":{"decline_code":"insufficient_funds","network":"visa","funding":"debit","time_zone":"America/Chicago",` +
		`"amount":4900,"currency":"usd","failed_at":"2026-07-27T15:00:00Z"},"as_of":"2026-07-27T16:00:00Z","max_retries":3,"window_days":10,` +
		`"candidates":["2026-07-28T15:00:00Z","2026-08-01T12:00:00Z","2026-09-01T12:00:00Z"]}`
	req, _ := http.NewRequest("POST", base+"/v1/recommendations/retry", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer serve_test_key_0123456789")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var rec api.Recommendation
	if res.StatusCode != 200 || json.Unmarshal(b, &rec) != nil {
		t.Fatalf("recommendation: %d %s", res.StatusCode, b)
	}
	if rec.ModelVersion != lm.Version || !rec.Retry || len(rec.Schedule) == 0 || len(rec.Candidates) != 3 {
		t.Fatalf("recommendation by model %s, want the mixture %s with a schedule and three scored candidates: %s", rec.ModelVersion, lm.Version, b)
	}
	if c := rec.Candidates; !c[0].Allowed || c[0].Probability == nil || !c[1].Allowed || c[1].Probability == nil || c[2].Allowed {
		t.Fatalf("candidates %+v: want the two in the window scored, the one after it refused", c)
	}
	shutdown()

	bad := t.TempDir()
	raw, _ := os.ReadFile(modelFile(dir))
	os.WriteFile(modelFile(bad), raw[:len(raw)/3], 0o644)
	if a, err := openApp(t.Context(), appOptions{data: bad, keys: keys, log: slog.New(slog.DiscardHandler)}); err == nil {
		a.close()
		t.Fatal("a corrupt model file was loaded")
	} else if !strings.Contains(err.Error(), filepath.Join(bad, "model.json")) || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("corrupt model file: %v, want an error naming the file and the fault", err)
	}
}
