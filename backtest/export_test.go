package backtest

import (
	"context"

	"github.com/recoupledger/recoup/smartretry"
)

// RefitSamples is, for the tests, what refit k draws: the sequences of
// its bootstrap resample, and the sequences and training rows of its half
// sample.
func RefitSamples(f *Fitted, k int) (bootSeqs, halfSeqs []smartretry.MixtureSequence, halfRows []smartretry.TrainingRow) {
	return f.drawSeqs(f.bootDraws[k]), f.drawSeqs(f.halfDraws[k]), f.drawRows(f.halfDraws[k])
}

// RefitModels is, for the tests, the models refit k of cfg's candidate
// is planned and scored with, fitted as Run fits them.
func RefitModels(ctx context.Context, f *Fitted, cfg Config, k int) (Models, error) {
	cfg = cfg.withDefaults()
	if err := f.refitsFor(ctx, cfg); err != nil {
		return Models{}, err
	}
	_, _, models := f.scoring(cfg)
	return models(k), nil
}

// LazyFitted says, for the tests, which lazily fitted sets f holds: the
// bootstrap resamples' mixtures, the half samples' models.
func LazyFitted(f *Fitted) (boot, half bool) {
	return f.bootMix != nil, f.half != nil
}
