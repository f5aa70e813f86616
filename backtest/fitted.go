package backtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"

	"github.com/recoupledger/recoup/smartretry"
)

// Fitted is what a backtest fits on the ledger before it looks at any
// candidate: the out-of-fold recalibration of the logistic model, the
// outcome models fitted on the whole ledger, and the refits (on the
// ledger resampled by customer for the family's models, on half its
// customers for a mixture-planned smart candidate's). None of it depends
// on the candidate, so several candidates backtested on one ledger with
// one seed share it (Prepare).
//
// The mixture fits are made lazily, each set the first time a candidate
// needs it (lazy: a set whose fit failed, its run cancelled say, is
// fitted again by the next run that needs it), and read only by runs
// that asked for them first: runs sharing a Fitted may go concurrently,
// though the second to need a set waits for the first's fits.
type Fitted struct {
	// What it was prepared for: a run with another ledger, scorer,
	// family, refits or seed is refused (matches).
	ledger *smartretry.Ledger
	scorer smartretry.Scorer
	family Family
	refits int
	seed   uint64
	train  TrainFunc
	recal  *Recalibration
	models Models
	// refit is each bootstrap refit's logistic model, and refitRecal its
	// own out-of-fold recalibration, fitted on its resample as recal is
	// on the ledger: the recalibration is part of the estimate, so its
	// uncertainty is part of the model's.
	refit      []Models
	refitRecal []*Recalibration
	// The customers each refit draws (by index into groups): bootDraws
	// the bootstrap resamples the logistic refits were fitted on, whose
	// mixtures (bootMix) the family's refit outcome scores fixed
	// schedules with; halfDraws the half samples a mixture-planned smart
	// candidate's refits (half) are fitted on, mixture and fallback
	// logistic alike.
	rows      []smartretry.TrainingRow
	seqs      []smartretry.MixtureSequence
	groups    []*group
	bootDraws [][]int
	halfDraws [][]int
	bootMix   []*smartretry.Mixture
	half      []halfRefit
	bootLazy  lazy
	halfLazy  lazy
}

// halfRefit is a smart candidate's refit on a half sample: the mixture
// that plans and scores it, and the logistic model (with its own
// out-of-fold recalibration) that plans and scores retries on an updated
// card, all fitted on the same customers, so the refit's optimism is of
// one draw.
type halfRefit struct {
	models Models
	recal  *Recalibration
}

// The logistic refits are fitted on the ledger resampled by customer
// with replacement (the bootstrap), the mixture refits on half the
// customers drawn without replacement (half-sampling). For a smooth
// estimate the two agree: a fit on a random half differs from the fit on
// all by as much as the fit on all differs from the truth (the variance
// of a mean over n/2 of n, less that over n, is that over n: the
// finite-population correction). Neither is exact for what each is used
// for. A fit on half the rows under the same ridge is shrunk more than
// the deployed fit, so half-sampled logistic refits understate the
// spread of the sparse cells (recal.go): on one simulated history of
// 20,000 invoices the shorter window's model sd was 0.23 points on half
// samples and 0.62 on bootstrap resamples (with the ridges scaled to the
// half, as doc.go measured later, the gap shrinks to 0.38 against 0.64 on
// seed 2 and reverses on seed 1, 0.58 against 0.54: most of that gap was
// the heavier shrinkage), and bootstrap intervals of the
// fixed candidates covered the truth on four histories of four. The
// mixture's refits measure the optimism a smart candidate's estimate is
// lowered by, the excess of an argmax, for which the bootstrap is known
// to be unreliable where options are close to tied (the bootstrap
// world's truth, the deployed fit, holds its own fitted differences
// between them). With the mixture before its lift-time-conditioned cure
// chances, bootstrap refits put that optimism at 2.8 to 4.2 points on
// four simulated histories where the deployed mixture's own excess
// against the truth was 0.5 to 3.1 (mean 1.9), half-sample refits at 1.0
// to 1.8 (doc.go). Half-sampling errs less, towards narrow, and
// costs half a fit.

// halfSample draws half of n customers (by index) without replacement.
func halfSample(r *rand.Rand, n int) []int {
	return r.Perm(n)[:n/2]
}

// mixtureOptions fit mixtures as `recoup train` does (TrainFamily with
// its default held-out share: the deposit hour chosen on four fifths).
var mixtureOptions = smartretry.MixtureOptions{HoldOut: 5}

// Prepare fits what Run needs for cfg's ledger, family, refits and seed;
// pass the result as Config.Fitted to every candidate of that ledger.
func Prepare(ctx context.Context, cfg Config) (*Fitted, error) {
	cfg = cfg.withDefaults()
	rows := cfg.Ledger.Rows()
	seqs := smartretry.MixtureSequences(cfg.Ledger)
	f := &Fitted{ledger: cfg.Ledger, scorer: cfg.Scorer, family: cfg.Family, refits: cfg.Refits, seed: cfg.Seed, train: cfg.Train, rows: rows, seqs: seqs}
	// The planner is the deployed model's; the estimates score with the
	// logistic model recalibrated out of fold (recal.go), which values
	// its claims by what they are worth out of sample.
	var err error
	if f.recal, err = crossRecal(ctx, cfg.Ledger, rows, cfg.Train); err != nil {
		return nil, fmt.Errorf("backtest: recalibration: %w", err)
	}
	f.models = Models{Logistic: cfg.Scorer}
	if cfg.Family == FamilyMixture {
		if f.models.Mixture, err = smartretry.FitMixture(ctx, seqs, mixtureOptions); err != nil {
			return nil, fmt.Errorf("backtest: mixture: %w", err)
		}
	}
	if cfg.Refits <= 1 {
		return f, nil
	}
	f.groups = groupByCustomer(cfg.Ledger, rows, seqs)
	r := rand.New(rand.NewPCG(cfg.Seed, 0x726566697473))
	// The half samples come from a stream of their own, so the bootstrap
	// resamples are the same with or without them.
	rm := rand.New(rand.NewPCG(cfg.Seed, 0x68616c66))
	for k := 0; k < cfg.Refits; k++ {
		draw := make([]int, len(f.groups))
		for j := range draw {
			draw[j] = r.IntN(len(f.groups))
		}
		f.bootDraws = append(f.bootDraws, draw)
		f.halfDraws = append(f.halfDraws, halfSample(rm, len(f.groups)))
		sample := f.drawRows(draw)
		sc, err := cfg.Train(ctx, sample)
		if err != nil {
			return nil, fmt.Errorf("backtest: refit %d: %w", k+1, err)
		}
		rr, err := crossRecal(ctx, cfg.Ledger, sample, cfg.Train)
		if err != nil {
			return nil, fmt.Errorf("backtest: refit %d: recalibration: %w", k+1, err)
		}
		f.refit = append(f.refit, Models{Logistic: sc})
		f.refitRecal = append(f.refitRecal, rr)
	}
	return f, nil
}

// drawRows is the training rows of the customers drawn, each as often as
// drawn.
func (f *Fitted) drawRows(draw []int) []smartretry.TrainingRow {
	return drawn(f.groups, draw, func(g *group) []int { return g.rows }, f.rows)
}

// drawSeqs is the mixture sequences of the customers drawn, each as
// often as drawn.
func (f *Fitted) drawSeqs(draw []int) []smartretry.MixtureSequence {
	return drawn(f.groups, draw, func(g *group) []int { return g.seqs }, f.seqs)
}

// drawn is the items of the groups drawn (of gives a group's indices into
// all), each group's as often as it is drawn, in the draw's order.
func drawn[T any](groups []*group, draw []int, of func(*group) []int, all []T) []T {
	var out []T
	for _, j := range draw {
		for _, i := range of(groups[j]) {
			out = append(out, all[i])
		}
	}
	return out
}

// bootMixtures fits each bootstrap refit's mixture on its resample, once:
// the family's refit outcome when the family is the mixture. A failed
// fit is not kept (lazy).
func (f *Fitted) bootMixtures(ctx context.Context) error {
	return f.bootLazy.do(ctx, func(ctx context.Context) error {
		mix := make([]*smartretry.Mixture, len(f.bootDraws))
		for k, draw := range f.bootDraws {
			m, err := smartretry.FitMixture(ctx, f.drawSeqs(draw), mixtureOptions)
			if err != nil {
				return fmt.Errorf("backtest: refit %d: mixture: %w", k+1, err)
			}
			mix[k] = m
		}
		f.bootMix = mix
		return nil
	})
}

// halfRefits fits each half sample's mixture, logistic model and
// recalibration, once: a mixture-planned smart candidate's refits. A
// failed fit is not kept (lazy).
func (f *Fitted) halfRefits(ctx context.Context) error {
	return f.halfLazy.do(ctx, func(ctx context.Context) error {
		half := make([]halfRefit, len(f.halfDraws))
		for k, draw := range f.halfDraws {
			m, err := smartretry.FitMixture(ctx, f.drawSeqs(draw), mixtureOptions)
			if err != nil {
				return fmt.Errorf("backtest: half-sample refit %d: mixture: %w", k+1, err)
			}
			sample := f.drawRows(draw)
			sc, err := f.train(ctx, sample)
			if err != nil {
				return fmt.Errorf("backtest: half-sample refit %d: %w", k+1, err)
			}
			rr, err := crossRecal(ctx, f.ledger, sample, f.train)
			if err != nil {
				return fmt.Errorf("backtest: half-sample refit %d: recalibration: %w", k+1, err)
			}
			half[k] = halfRefit{models: Models{Logistic: sc, Mixture: m}, recal: rr}
		}
		f.half = half
		return nil
	})
}

// refitsFor fits what cfg's candidate's refits need and have not been
// fitted yet: the half samples' models for a mixture-planned smart
// candidate, else the bootstrap resamples' mixtures when the family is
// the mixture.
func (f *Fitted) refitsFor(ctx context.Context, cfg Config) error {
	switch {
	case f.refits <= 1:
		return nil
	case smartByMixture(cfg):
		return f.halfRefits(ctx)
	case f.family == FamilyMixture:
		return f.bootMixtures(ctx)
	}
	return nil
}

// smartByMixture says whether cfg's candidate is smart and planned by a
// deployed mixture (scored by the mixture, refitted on half samples).
func smartByMixture(cfg Config) bool {
	return cfg.Candidate.SmartRetries && cfg.Mixture != nil
}

// matches says why f was not prepared for cfg (nil if it was): its fits
// are of one ledger and one deployed model, and their number and draws
// are set by the refits and the seed. cfg.Train is not checked (a
// function cannot be compared): a Fitted must be used with the trainer
// it was prepared with.
func (f *Fitted) matches(cfg Config) error {
	switch {
	case f.ledger != cfg.Ledger:
		return errors.New("prepared for another ledger (fits are checked by identity, not content)")
	case !sameScorer(f.scorer, cfg.Scorer):
		return fmt.Errorf("prepared for scorer %s, not %s (fits are checked by model identity, not version)", scorerVersion(f.scorer), scorerVersion(cfg.Scorer))
	case f.family != cfg.Family:
		return fmt.Errorf("prepared for outcome family %q, not %q", f.family, cfg.Family)
	case f.refits != cfg.Refits:
		return fmt.Errorf("prepared for %d refits, not %d", f.refits, cfg.Refits)
	case f.seed != cfg.Seed:
		return fmt.Errorf("prepared for seed %d, not %d", f.seed, cfg.Seed)
	}
	return nil
}

// sameScorer reports whether a and b are the same model. The scorers are
// pointers, compared by identity; a scorer of a type that cannot be
// compared safely is never taken for another (two models may share a
// version string and still differ).
func sameScorer(a, b smartretry.Scorer) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	t := reflect.TypeOf(a)
	if t != reflect.TypeOf(b) || t.Kind() != reflect.Pointer {
		return false
	}
	return a == b
}

// scorerVersion names a scorer in a refusal.
func scorerVersion(s smartretry.Scorer) string {
	if s == nil {
		return "none"
	}
	return s.Version()
}

// outcome is the outcome model of the family over the deployed models.
func (f *Fitted) outcome() Outcome {
	return f.outcomeOf(f.models, f.recal)
}

// bootModels is bootstrap refit k's models: the logistic, and the
// mixture when the family is the mixture (bootMixtures first).
func (f *Fitted) bootModels(k int) Models {
	m := f.refit[k]
	if f.family == FamilyMixture {
		m.Mixture = f.bootMix[k]
	}
	return m
}

// scoring is the outcome model cfg's candidate is scored with, deployed
// and for each refit, and each refit's models (the refit's planner is
// built from them): the family's over the bootstrap refits, except that a
// smart candidate planned by a deployed mixture is scored by the mixture
// (the deployed one, and each half-sample refit's own, with that half
// sample's logistic model for updated cards), which weighs what that
// planner exploits. refitsFor must have fitted them.
func (f *Fitted) scoring(cfg Config) (deployed Outcome, refitOutcome func(k int) Outcome, refitModels func(k int) Models) {
	if !smartByMixture(cfg) {
		refitOutcome = func(k int) Outcome { return f.outcomeOf(f.bootModels(k), f.refitRecal[k]) }
		return f.outcome(), refitOutcome, f.bootModels
	}
	deployed = mixtureOutcome{mix: cfg.Mixture, fallback: scorerOutcome{recalibrated(cfg.Scorer, f.recal)}}
	refitOutcome = func(k int) Outcome {
		h := f.half[k]
		return mixtureOutcome{mix: h.models.Mixture, fallback: scorerOutcome{recalibrated(h.models.Logistic, h.recal)}}
	}
	return deployed, refitOutcome, func(k int) Models { return f.half[k].models }
}

func (f *Fitted) outcomeOf(m Models, r *Recalibration) Outcome {
	if f.family != FamilyMixture {
		m.Mixture = nil
	}
	return m.outcome(r)
}

// group is one customer's training rows and sequences.
type group struct{ rows, seqs []int }

// groupByCustomer indexes rows and sequences by customer, the unit the
// refits draw: a customer's invoices share their hidden traits.
func groupByCustomer(l *smartretry.Ledger, rows []smartretry.TrainingRow, seqs []smartretry.MixtureSequence) []*group {
	by := map[string]*group{}
	var groups []*group
	at := func(invoice string) *group {
		c := l.Invoices[invoice].Finalized.CustomerID
		if c == "" {
			c = invoice
		}
		g := by[c]
		if g == nil {
			g = &group{}
			by[c] = g
			groups = append(groups, g)
		}
		return g
	}
	for i := range rows {
		g := at(rows[i].InvoiceID)
		g.rows = append(g.rows, i)
	}
	// MixtureSequences walks the ledger's failed invoices in order.
	n := 0
	for _, id := range l.Order {
		if !l.Invoices[id].Failed() {
			continue
		}
		if n < len(seqs) {
			g := at(id)
			g.seqs = append(g.seqs, n)
		}
		n++
	}
	return groups
}
