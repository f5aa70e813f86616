package smartretry

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Recommender is what serving a model needs of a planner: the engine's
// next retry (RetryPlanner), and recommendations with the schedule, the
// scored candidate times and the explanation, for the API and the CLI.
// The planners of both families implement it.
type Recommender interface {
	PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error)
	// Recommend plans like PlanRetry and also scores every allowed slot.
	Recommend(ctx context.Context, rc domain.RetryContext) (Recommendation, error)
	// RecommendSchedule is Recommend without the scored candidates.
	RecommendSchedule(ctx context.Context, rc domain.RetryContext) (Recommendation, error)
}

var (
	_ Recommender = (*Planner)(nil)
	_ Recommender = (*MixturePlanner)(nil)
)

// Loaded is a model file of either family, checked and ready to plan.
type Loaded struct {
	Family  string // FamilyLogistic or FamilyMixture
	Version string // the file's model version
	// Logistic is the logistic model: the file's, or the mixture's
	// fallback. Backtests score with it.
	Logistic *Logistic
	// LogisticFile is the logistic file (a mixture's fallback).
	LogisticFile ModelFile
	// Mixture and MixtureFile are set for the mixture family.
	Mixture     *Mixture
	MixtureFile *MixtureFile
}

// Objective is the default objective with the file's reminder value.
func (l *Loaded) Objective() Objective { return l.LogisticFile.Objective() }

// TrainedAt is when the model was trained.
func (l *Loaded) TrainedAt() time.Time {
	if l.MixtureFile != nil {
		return l.MixtureFile.Training.TrainedAt
	}
	return l.LogisticFile.Summary.TrainedAt
}

// Planner returns a planner of the file's family with the file's
// objective (Objective); a mixture's falls back to a logistic planner
// with the same objective and rules.
func (l *Loaded) Planner(rules Rules) Recommender { return l.PlannerWith(l.Objective(), rules) }

// PlannerWith is Planner with another objective (the evaluation's, say).
// Every plan names the file's model version, the fallback's plans of a
// mixture file included: the file is the model that was deployed.
func (l *Loaded) PlannerWith(obj Objective, rules Rules) Recommender {
	if l.Mixture == nil {
		return NewShippedPlanner(l.Logistic, nil, obj, rules)
	}
	return NewShippedPlanner(NewLogistic(l.Logistic.W, l.Version), l.Mixture, obj, rules)
}

// NewShippedPlanner is the smart planner a deployment builds from its
// models, with objective obj and the rules: the mixture's, falling back
// to sc's planner for invoices whose card was updated, when mix is not
// nil; else sc's.
func NewShippedPlanner(sc Scorer, mix *Mixture, obj Objective, rules Rules) Recommender {
	lp := NewPlanner(sc, rules)
	lp.Objective = obj
	if mix == nil {
		return lp
	}
	mp := NewMixturePlanner(mix, lp, rules)
	mp.Objective = obj
	return mp
}

// Load reads a model file of either family (see Decode).
func Load(path string) (*Loaded, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	l, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	return l, nil
}

// Decode parses and checks a model file of either family: the family
// field chooses the format, and each family has its own schema version.
// A file of an unknown family, another schema version, another layout,
// or whose contents do not match its checksums is refused with
// ErrModelFile naming the field.
func Decode(b []byte) (*Loaded, error) {
	var probe struct {
		Schema *int    `json:"schema"`
		Family *string `json:"family"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrModelFile, err)
	}
	if probe.Schema == nil {
		return nil, fmt.Errorf("%w: schema: missing", ErrModelFile)
	}
	if probe.Family == nil {
		return nil, fmt.Errorf("%w: family: missing", ErrModelFile)
	}
	switch *probe.Family {
	case FamilyLogistic:
		m, f, err := DecodeModel(b)
		if err != nil {
			return nil, err
		}
		return &Loaded{Family: FamilyLogistic, Version: f.ModelVersion, Logistic: m, LogisticFile: f}, nil
	case FamilyMixture:
		m, fb, f, err := decodeMixture(b, *probe.Schema)
		if err != nil {
			return nil, err
		}
		return &Loaded{Family: FamilyMixture, Version: f.ModelVersion, Logistic: fb, LogisticFile: f.Fallback, Mixture: m, MixtureFile: &f}, nil
	}
	return nil, fmt.Errorf("%w: family: %q is not a model family this build reads (%s or %s)", ErrModelFile, *probe.Family, FamilyLogistic, FamilyMixture)
}
