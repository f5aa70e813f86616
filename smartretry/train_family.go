package smartretry

import (
	"context"
	"fmt"
	"math"
	"time"
)

// TrainFamily fits a model of the family on a ledger, as `recoup train`
// does: the logistic model on the ledger's attempt rows (held out by
// invoice, opts.TestShare), and for the mixture also the latent-class
// model on its failed invoices' sequences (every round(1/TestShare)-th
// held out for the metrics, then refitted on all), with the logistic
// model as its fallback. source names the data in the training summary.
func TrainFamily(ctx context.Context, l *Ledger, family string, opts TrainOptions, source string) (*Loaded, error) {
	if family != FamilyLogistic && family != FamilyMixture {
		return nil, fmt.Errorf("train: family: %q is not a model family (%s or %s)", family, FamilyLogistic, FamilyMixture)
	}
	m, sum, err := Train(ctx, l.Rows(), opts)
	if err != nil {
		return nil, err
	}
	sum.Invoices, sum.DataSource = len(l.Invoices), source
	lf := NewModelFile(m, sum)
	lf.ReminderValue = EstimateReminderValue(l)
	out := &Loaded{Family: FamilyLogistic, Version: lf.ModelVersion, Logistic: m, LogisticFile: lf}
	if family == FamilyLogistic {
		return out, nil
	}
	share := opts.TestShare
	if share <= 0 || share >= 1 {
		share = 0.2
	}
	hold := max(int(math.Round(1/share)), 2)
	seqs := MixtureSequences(l)
	mix, err := FitMixture(ctx, seqs, MixtureOptions{HoldOut: hold})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	mf, err := NewMixtureFile(mix, lf, MixtureSummary{TrainedAt: time.Now().UTC(), Sequences: len(seqs), HoldOut: hold, Invoices: len(l.Invoices), DataSource: source})
	if err != nil {
		return nil, err
	}
	out.Family, out.Version, out.Mixture, out.MixtureFile = FamilyMixture, mf.ModelVersion, mix, &mf
	return out, nil
}

// Write writes the model file of l's family atomically.
func (l *Loaded) Write(path string) error {
	if l.MixtureFile != nil {
		return WriteMixtureModel(path, *l.MixtureFile)
	}
	return WriteModel(path, l.LogisticFile)
}
