package smartretry

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"
)

// ModelSchema is the version of the model file written by this build.
const ModelSchema = 1

// ErrModelFile marks a model file that cannot be used: another schema
// version, a corrupt body or a feature layout this build does not have.
var ErrModelFile = errors.New("invalid model file")

// Summary records how a model was trained.
type Summary struct {
	TrainedAt  time.Time `json:"trained_at"`
	Rows       int       `json:"rows"`
	TrainRows  int       `json:"train_rows"`
	TestRows   int       `json:"test_rows"`
	Lambda     float64   `json:"lambda"`
	Fit        FitResult `json:"fit"`
	Test       Metrics   `json:"test"`
	Invoices   int       `json:"invoices,omitempty"`
	DataSource string    `json:"data_source,omitempty"`
}

// ModelFile is the JSON document of a fitted model.
type ModelFile struct {
	Schema       int       `json:"schema"`
	Family       string    `json:"family"`
	ModelVersion string    `json:"model_version"`
	FeatureNames []string  `json:"feature_names"`
	Weights      []float64 `json:"weights"`
	// ReminderValue is EstimateReminderValue of the training ledger: the
	// planner's Objective.ReminderValue, so that a server or demo planning
	// with this model credits reminders as the evaluation's planner does.
	ReminderValue float64 `json:"reminder_value"`
	Summary       Summary `json:"training"`
}

// Objective is the default objective with the file's reminder value.
func (f *ModelFile) Objective() Objective {
	o := DefaultObjective()
	o.ReminderValue = f.ReminderValue
	return o
}

// ModelVersion derives a version string from the weights, so the same
// fit always has the same name and different fits differ.
func ModelVersion(w []float64) string {
	h := sha256.New()
	var b [8]byte
	for _, v := range w {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	return "lr1-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// NewModelFile describes a fitted logistic model.
func NewModelFile(m *Logistic, s Summary) ModelFile {
	return ModelFile{Schema: ModelSchema, Family: FamilyLogistic, ModelVersion: m.Version(), FeatureNames: FeatureNames(), Weights: m.W, Summary: s}
}

// WriteModel writes the file atomically (temporary file, then rename), so
// a crash never leaves half a model behind.
func WriteModel(path string, f ModelFile) error {
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	return writeAtomic(path, b)
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	return nil
}

// ReadModel loads a model file written by WriteModel.
func ReadModel(path string) (*Logistic, ModelFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ModelFile{}, fmt.Errorf("read model: %w", err)
	}
	m, f, err := DecodeModel(b)
	if err != nil {
		return nil, f, fmt.Errorf("read model %s: %w", path, err)
	}
	return m, f, nil
}

// DecodeModel parses and checks a model file's bytes.
func DecodeModel(b []byte) (*Logistic, ModelFile, error) {
	var probe struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, ModelFile{}, fmt.Errorf("%w: not JSON: %v", ErrModelFile, err)
	}
	if probe.Schema == nil {
		return nil, ModelFile{}, fmt.Errorf("%w: schema: missing", ErrModelFile)
	}
	if *probe.Schema != ModelSchema {
		return nil, ModelFile{}, fmt.Errorf("%w: schema: version %d is not supported (this build reads version %d); retrain with `recoup train`", ErrModelFile, *probe.Schema, ModelSchema)
	}
	var f ModelFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, f, fmt.Errorf("%w: %v", ErrModelFile, err)
	}
	m, err := checkLogistic(&f)
	return m, f, err
}

// checkLogistic validates a decoded logistic model file.
func checkLogistic(f *ModelFile) (*Logistic, error) {
	if f.Schema != ModelSchema {
		return nil, fmt.Errorf("%w: schema: version %d is not supported (this build reads version %d); retrain with `recoup train`", ErrModelFile, f.Schema, ModelSchema)
	}
	if f.Family != FamilyLogistic {
		return nil, fmt.Errorf("%w: family: %q is not supported (want \"logistic\")", ErrModelFile, f.Family)
	}
	if !slices.Equal(f.FeatureNames, lay.names) {
		return nil, fmt.Errorf("%w: feature_names: the file's %d features do not match this build's %d; retrain with `recoup train`", ErrModelFile, len(f.FeatureNames), len(lay.names))
	}
	if len(f.Weights) != len(f.FeatureNames) {
		return nil, fmt.Errorf("%w: weights: %d weights for %d features", ErrModelFile, len(f.Weights), len(f.FeatureNames))
	}
	if v := f.ReminderValue; math.IsNaN(v) || v < 0 || v >= 1 {
		return nil, fmt.Errorf("%w: reminder_value: must be at least 0 and below 1 (a rate per hour), got %v", ErrModelFile, v)
	}
	if f.ModelVersion != ModelVersion(f.Weights) {
		return nil, fmt.Errorf("%w: model_version: %q does not match the weights (file altered or corrupt)", ErrModelFile, f.ModelVersion)
	}
	return NewLogistic(f.Weights, f.ModelVersion), nil
}
