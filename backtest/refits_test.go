package backtest_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/recoupledger/recoup/backtest"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/smartretry"
)

// Which draw each refit's models are fitted on. With the mixture outcome
// family, a fixed schedule's refits are scored by mixtures fitted on the
// bootstrap resamples its logistic refits are fitted on (half samples
// under the same priors understate sparse cells' spread); a smart
// candidate planned by a mixture is refitted on half samples, its
// mixture and its updated-card logistic fallback on the same half. Each
// set is fitted only when a candidate needs it.
func TestRefitDraws(t *testing.T) {
	if testing.Short() {
		t.Skip("records and fits a world's history")
	}
	ctx := context.Background()
	cfg, f := preparedRefits(t, 3)
	fixed, smart := fixedAndSmart()
	if boot, half := backtest.LazyFitted(f); boot || half {
		t.Fatalf("prepared with mixtures fitted (bootstrap %v, half %v) before any candidate needed them", boot, half)
	}
	const k = 1
	bootSeqs, halfSeqs, halfRows := backtest.RefitSamples(f, k)
	fitOn := func(seqs []smartretry.MixtureSequence) string {
		m, err := smartretry.FitMixture(ctx, seqs, smartretry.MixtureOptions{HoldOut: 5})
		if err != nil {
			t.Fatal(err)
		}
		return m.Version()
	}

	fc := cfg
	fc.Candidate = fixed
	fm, err := backtest.RefitModels(ctx, f, fc, k)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Mixture == nil || fm.Mixture.Version() != fitOn(bootSeqs) {
		t.Fatalf("%s: refit %d's mixture is not the one fitted on its bootstrap resample", fixed.Name, k)
	}
	if boot, half := backtest.LazyFitted(f); !boot || half {
		t.Fatalf("after a fixed candidate: bootstrap mixtures %v, half-sample models %v; want only the bootstrap's", boot, half)
	}

	sc := cfg
	sc.Candidate = smart
	sm, err := backtest.RefitModels(ctx, f, sc, k)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Mixture == nil || sm.Mixture.Version() != fitOn(halfSeqs) {
		t.Fatalf("%s: refit %d's mixture is not the one fitted on its half sample", smart.Name, k)
	}
	want, err := backtest.DefaultTrain(ctx, halfRows)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := sm.Logistic.(*smartretry.Logistic)
	if !ok || !slices.Equal(got.Weights(), want.(*smartretry.Logistic).Weights()) {
		t.Fatalf("%s: refit %d's fallback logistic is not the one fitted on its half sample", smart.Name, k)
	}
	if got == fm.Logistic {
		t.Fatalf("%s: refit %d's fallback logistic is the bootstrap refit's", smart.Name, k)
	}

	sc.Fitted = f
	res, err := backtest.Run(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.OptimismFallbackShare; s <= 0 || s >= 1 {
		t.Errorf("%s: %.3f of the optimism's invoices through the updated-card fallback, want a share in (0, 1)", smart.Name, s)
	}
	t.Logf("%s: optimism %.2f, %.1f%% of its invoices through the fallback", smart.Name, *res.Optimism, 100*res.OptimismFallbackShare)
}

// A run whose context is cancelled while the lazily fitted refits are
// made leaves no error behind in the shared fits: the next run, with a
// live context, fits them and goes through.
func TestLazyRefitsAfterCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("records and fits a world's history")
	}
	ctx := context.Background()
	cfg, f := preparedRefits(t, 4)
	fixed, smart := fixedAndSmart()
	cfg.Fitted = f
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, cand := range []domain.PresetSpec{fixed, smart} {
		c := cfg
		c.Candidate = cand
		if _, err := backtest.Run(cancelled, c); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s with a cancelled context: %v, want context.Canceled", cand.Name, err)
		}
		if boot, half := backtest.LazyFitted(f); boot || half {
			t.Fatalf("%s: a cancelled run kept fits (bootstrap %v, half %v)", cand.Name, boot, half)
		}
	}
	for _, cand := range []domain.PresetSpec{fixed, smart} {
		c := cfg
		c.Candidate = cand
		res, err := backtest.Run(ctx, c)
		if err != nil {
			t.Fatalf("%s with a live context after a cancelled one: %v, want the refits fitted", cand.Name, err)
		}
		if res.ModelRefits != 2 || len(res.RefitRecovered) != 2 {
			t.Fatalf("%s: %d refits measured (%d estimates), want 2", cand.Name, res.ModelRefits, len(res.RefitRecovered))
		}
	}
	if boot, half := backtest.LazyFitted(f); !boot || !half {
		t.Fatalf("after live runs: bootstrap mixtures %v, half-sample models %v; want both", boot, half)
	}
}

// preparedRefits records seed's history of 1,500 invoices, fits the
// deployed logistic and mixture on it, and prepares a backtest's fits with
// two refits under the mixture outcome family (none of the lazily fitted
// sets made yet).
func preparedRefits(t *testing.T, seed uint64) (backtest.Config, *backtest.Fitted) {
	t.Helper()
	ctx := context.Background()
	rec := checkHistory(t, seed, 1500)
	model, err := backtest.DefaultTrain(ctx, rec.Ledger.Rows())
	if err != nil {
		t.Fatal(err)
	}
	mix, err := smartretry.FitMixture(ctx, smartretry.MixtureSequences(rec.Ledger), smartretry.MixtureOptions{Iterations: 10, DepositHours: []int{4}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := backtest.Config{Ledger: rec.Ledger, Scorer: model, Mixture: mix, Rules: smartretry.NetworkRules, Bootstrap: 100, Seed: 5, Refits: 2, Family: backtest.FamilyMixture}
	f, err := backtest.Prepare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, f
}
