package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/eventstore/backend"
	"github.com/recoupledger/recoup/smartretry"
)

// recommendFlags describe an invoice when it is not taken from a ledger.
type recommendFlags struct {
	dir, invoice, model, at                   string
	declineCode, adviceCode, network, funding string
	country, tz, failedAt, lastAt             string
	amount                                    int64
	attempts, retries, windowDays, candidates int
	asJSON                                    bool
	store                                     *backend.Flags
}

func init() {
	var f recommendFlags
	cmd := &cobra.Command{
		Use:   "recommend",
		Short: "Score retry times for a failed invoice and print the smart schedule with explanations",
		Long: `recommend plans the retries of one failed invoice with the smart-retry model:
every allowed hour of the window is scored, the optimizer picks the schedule
that maximises expected recovery within the budget and the card-network
rules, and each chosen time is printed with its probability and what weighed
most: for a mixture model file (the default of recoup train), the latent
classes' posterior, the invoice facts that set their prior and what sets each
retry's chance (a pay deposit some hours before, the hours since the failure
and the local hour); for a logistic one, the features' log-odds
contributions. The invoice comes from a ledger (--data, --invoice) or is
described by flags.`,
		Example: `  recoup recommend --data ./data --invoice in_123
  recoup recommend --store kurrentdb --kurrentdb-url 'esdb://localhost:2113?tls=false' --model model.json --invoice in_123
  recoup recommend --model ./data/model.json --decline-code insufficient_funds \
      --network visa --funding debit --country US --tz America/New_York \
      --amount 1999 --failed-at 2026-11-20T14:05:00Z --retries 3 --window-days 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.invoice != "" {
				if err := checkStoreFlags(f.store); err != nil {
					return err
				}
			}
			model := f.model
			if model == "" {
				if f.dir == "" {
					return fmt.Errorf("--model: a model file is required (or --data, to use DATA/model.json)")
				}
				model = defaultModelPath(f.dir)
			}
			lm, err := loadModel(model)
			if err != nil {
				return err
			}
			var rc domain.RetryContext
			if f.invoice != "" {
				if rc, err = contextFromLedger(cmd, &f); err != nil {
					return err
				}
			} else if rc, err = contextFromFlags(&f); err != nil {
				return err
			}
			rec, err := lm.Planner(nil).Recommend(cmd.Context(), rc)
			if err != nil {
				return err
			}
			if f.asJSON {
				return printRecommendationJSON(cmd.OutOrStdout(), rc, rec, lm.Family, f.candidates)
			}
			printRecommendation(cmd.OutOrStdout(), rc, rec, lm, f.candidates)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "data", "", "data directory holding the ledger")
	f.store = addStoreFlags(cmd)
	fl.StringVar(&f.invoice, "invoice", "", "invoice ID in the ledger (needs --data)")
	fl.StringVar(&f.at, "at", "", "plan as of this time (RFC 3339; default: the invoice's last attempt)")
	fl.StringVar(&f.model, "model", "", "model file (default DATA/model.json)")
	fl.StringVar(&f.declineCode, "decline-code", "", "processor decline code of the last failure, e.g. insufficient_funds")
	fl.StringVar(&f.adviceCode, "advice-code", "", "Mastercard merchant advice code of the last failure, e.g. 24")
	fl.StringVar(&f.network, "network", "visa", "card network: visa, mastercard, amex or discover")
	fl.StringVar(&f.funding, "funding", "credit", "card funding: credit, debit or prepaid")
	fl.StringVar(&f.country, "country", "US", "customer country (ISO 3166-1 alpha-2)")
	fl.StringVar(&f.tz, "tz", "", "customer time zone (IANA name, e.g. Europe/Paris; default UTC)")
	fl.Int64Var(&f.amount, "amount", 0, "amount due in minor units (e.g. 1999 for $19.99)")
	fl.StringVar(&f.failedAt, "failed-at", "", "time of the first failed attempt (RFC 3339; default now)")
	fl.StringVar(&f.lastAt, "last-attempt-at", "", "time of the last failed attempt when --attempts > 1 (RFC 3339)")
	fl.IntVar(&f.attempts, "attempts", 1, "failed attempts so far, the first charge included")
	fl.IntVar(&f.retries, "retries", 3, "retries left in the preset's budget")
	fl.IntVar(&f.windowDays, "window-days", 7, "retry window in days from the first failure")
	fl.IntVar(&f.candidates, "candidates", 5, "also print the N best-scoring hours")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	rootCmd.AddCommand(cmd)
}

func parseTimeFlag(name, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s: %q is not an RFC 3339 time (e.g. 2026-11-20T14:05:00Z)", name, v)
	}
	return t, nil
}

func contextFromLedger(cmd *cobra.Command, f *recommendFlags) (domain.RetryContext, error) {
	l, err := openLedger(cmd.Context(), f.store, f.dir)
	if err != nil {
		return domain.RetryContext{}, err
	}
	h := l.Invoices[f.invoice]
	if h == nil || len(h.Attempts) == 0 {
		return domain.RetryContext{}, fmt.Errorf("--invoice: %s has no payment attempts in %s", f.invoice, f.dir)
	}
	last := h.Attempts[len(h.Attempts)-1]
	if last.Outcome == domain.Succeeded {
		return domain.RetryContext{}, fmt.Errorf("--invoice: %s was paid by attempt %d; nothing to retry", f.invoice, last.AttemptNumber)
	}
	at, err := parseTimeFlag("at", f.at, last.OccurredAt)
	if err != nil {
		return domain.RetryContext{}, err
	}
	return l.ContextFor(f.invoice, at)
}

func contextFromFlags(f *recommendFlags) (domain.RetryContext, error) {
	var rc domain.RetryContext
	if f.declineCode == "" {
		return rc, fmt.Errorf("--decline-code: required when no --invoice is given")
	}
	if _, ok := domain.Decline(f.declineCode); !ok {
		return rc, fmt.Errorf("--decline-code: %q is not a known decline code", f.declineCode)
	}
	nw := domain.Network(f.network)
	if nw != domain.Visa && nw != domain.Mastercard && nw != domain.Amex && nw != domain.Discover {
		return rc, fmt.Errorf("--network: %q is not visa, mastercard, amex or discover", f.network)
	}
	fu := domain.Funding(f.funding)
	if fu != domain.Credit && fu != domain.Debit && fu != domain.Prepaid {
		return rc, fmt.Errorf("--funding: %q is not credit, debit or prepaid", f.funding)
	}
	if f.amount <= 0 {
		return rc, fmt.Errorf("--amount: must be a positive amount in minor units, got %d", f.amount)
	}
	if f.tz != "" {
		if _, err := time.LoadLocation(f.tz); err != nil {
			return rc, fmt.Errorf("--tz: %q is not an IANA time zone", f.tz)
		}
	}
	if f.attempts < 1 {
		return rc, fmt.Errorf("--attempts: must be at least 1 (the failed first charge), got %d", f.attempts)
	}
	if f.retries < 1 || f.retries > domain.MaxManualRetries {
		return rc, fmt.Errorf("--retries: must be between 1 and %d, got %d", domain.MaxManualRetries, f.retries)
	}
	if f.windowDays < 1 || f.windowDays > 60 {
		return rc, fmt.Errorf("--window-days: must be between 1 and 60, got %d", f.windowDays)
	}
	failed, err := parseTimeFlag("failed-at", f.failedAt, time.Now().UTC().Truncate(time.Minute))
	if err != nil {
		return rc, err
	}
	last, err := parseTimeFlag("last-attempt-at", f.lastAt, failed)
	if err != nil {
		return rc, err
	}
	if last.Before(failed) {
		return rc, fmt.Errorf("--last-attempt-at: %v is before --failed-at %v", last, failed)
	}
	rc = domain.RetryContext{
		Now: last, InvoiceID: "cli", Amount: f.amount, CustomerCountry: f.country, CustomerTimeZone: f.tz,
		Network: nw, Funding: fu, CardCountry: f.country, RetriesLeft: f.retries,
		WindowEnd: failed.Add(time.Duration(f.windowDays) * 24 * time.Hour),
	}
	for i := 0; i < f.attempts; i++ {
		at := failed
		if f.attempts > 1 {
			at = failed.Add(time.Duration(i) * last.Sub(failed) / time.Duration(f.attempts-1))
		}
		rc.Attempts = append(rc.Attempts, domain.PaymentAttempted{Base: domain.Base{OccurredAt: at}, AttemptNumber: i + 1, Amount: f.amount,
			Outcome: domain.Failed, DeclineCode: f.declineCode, AdviceCode: f.adviceCode, Network: nw, Funding: fu})
		rc.CardAttempts = append(rc.CardAttempts, at)
	}
	return rc, nil
}

func topCandidates(rec smartretry.Recommendation, n int) []domain.PlannedSlot {
	c := append([]domain.PlannedSlot(nil), rec.Candidates...)
	sort.SliceStable(c, func(i, j int) bool { return c[i].Probability > c[j].Probability })
	if len(c) > n {
		c = c[:n]
	}
	return c
}

func printRecommendation(w io.Writer, rc domain.RetryContext, rec smartretry.Recommendation, lm *smartretry.Loaded, n int) {
	loc := rec.Location
	first := rc.Attempts[0].OccurredAt
	p := rec.Plan
	fmt.Fprintf(w, "model %s (%s family, trained %s)\n", p.ModelVersion, lm.Family, lm.TrainedAt().Format(time.DateOnly))
	fmt.Fprintf(w, "invoice %s: %d failed attempt(s), last %s; %d retries left until %s (%s)\n", rc.InvoiceID, len(rc.Attempts),
		rc.Attempts[len(rc.Attempts)-1].DeclineCode, rc.RetriesLeft, rc.WindowEnd.In(loc).Format("Mon 2 Jan 15:04"), loc)
	if !p.Retry {
		fmt.Fprintf(w, "no retry: %s\n", p.Explanation)
		return
	}
	fmt.Fprintf(w, "\nschedule (each probability assumes the earlier retries failed):\n")
	fmt.Fprintf(w, "  %-3s %-22s %12s %12s\n", "#", "local time", "after fail", "P(success)")
	for i, s := range p.Schedule {
		fmt.Fprintf(w, "  %-3d %-22s %11.0fh %11.1f%%\n", i+1, s.At.In(loc).Format("Mon 2 Jan 15:04"), s.At.Sub(first).Hours(), 100*s.Probability)
	}
	if lm.Family == smartretry.FamilyMixture && !strings.Contains(p.Explanation, "card was updated") {
		fmt.Fprintf(w, "\nwhy (latent classes: value is a probability, effect a shift in log-odds):\n")
		for _, c := range p.Contributions {
			fmt.Fprintf(w, "  %s\n      value %7.3f  effect %+7.3f\n", c.Feature, c.Value, c.Effect)
		}
	} else {
		fmt.Fprintf(w, "\nwhy the first retry (log-odds contributions):\n")
		for _, c := range p.Contributions {
			fmt.Fprintf(w, "  %-44s value %7.3f  effect %+7.3f\n", c.Feature, c.Value, c.Effect)
		}
	}
	fmt.Fprintf(w, "\n%s\n", p.Explanation)
	if n > 0 {
		fmt.Fprintf(w, "\nbest-scoring hours for the next attempt:\n")
		for _, s := range topCandidates(rec, n) {
			fmt.Fprintf(w, "  %-22s %11.1f%%\n", s.At.In(loc).Format("Mon 2 Jan 15:04"), 100*s.Probability)
		}
	}
}

func printRecommendationJSON(w io.Writer, rc domain.RetryContext, rec smartretry.Recommendation, family string, n int) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"invoice_id": rc.InvoiceID, "retry": rec.Plan.Retry, "next_attempt_at": rec.Plan.At, "probability": rec.Plan.Probability,
		"schedule": rec.Plan.Schedule, "contributions": rec.Plan.Contributions, "explanation": rec.Plan.Explanation,
		"model_version": rec.Plan.ModelVersion, "model_family": family, "top_candidates": topCandidates(rec, n), "window_start": rec.Window[0], "window_end": rec.Window[1],
	})
}
