package backtest

import (
	"context"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/smartretry"
)

// A Fitted is of one ledger, one deployed model, one family, number of
// refits and seed: a run given one prepared for anything else is refused
// with what differs, before it computes anything.
func TestFittedRefusedForAnotherConfig(t *testing.T) {
	w := make([]float64, len(smartretry.FeatureNames()))
	ledger, other := smartretry.NewLedger(), smartretry.NewLedger()
	model, otherModel := smartretry.NewLogistic(w, "a"), smartretry.NewLogistic(w, "a")
	base := Config{Ledger: ledger, Scorer: model, Family: FamilyLogistic, Refits: 3, Seed: 7}
	f := &Fitted{ledger: ledger, scorer: model, family: FamilyLogistic, refits: 3, seed: 7}
	tests := []struct {
		name string
		edit func(c *Config)
		want string // "" for a match
	}{
		{"same", func(c *Config) {}, ""},
		{"ledger", func(c *Config) { c.Ledger = other }, "another ledger"},
		{"scorer", func(c *Config) { c.Scorer = otherModel }, "prepared for scorer"},
		{"family", func(c *Config) { c.Family = FamilyMixture }, `family "logistic", not "mixture"`},
		{"refits", func(c *Config) { c.Refits = 4 }, "3 refits, not 4"},
		{"seed", func(c *Config) { c.Seed = 8 }, "seed 7, not 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			err := f.matches(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("matches = %v, want a match", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("matches = %v, want %q", err, tt.want)
			}
			cfg.Fitted = f
			if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "fitted: prepared for") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v, want the fits refused for %q", err, tt.want)
			}
		})
	}
}
