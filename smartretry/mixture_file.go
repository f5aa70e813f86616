package smartretry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
)

// MixtureSchema is the version of the mixture model file written by this
// build. The file holds the Mixture's exported fields as encoding/json
// writes them, so a field added to or removed from Mixture, or a change
// of its cell layout (classes, buckets, bands), changes the file's format:
// mixtureLayoutV is then no longer the build's layout fingerprint,
// TestMixtureSchemaPinsLayout fails, and MixtureSchema must be raised with
// the new fingerprint recorded. A change of meaning that the fingerprint
// cannot see (what a cell stands for, how a prior key is built) must raise
// it too.
const MixtureSchema = 3

// mixtureLayoutV is the layout fingerprint of MixtureSchema.
const mixtureLayoutV = "69be9a177f530bba"

// Model families a model file may hold.
const (
	FamilyLogistic = "logistic"
	FamilyMixture  = "mixture"
)

// MixtureFile is the JSON document of a fitted latent-class model with the
// logistic model it falls back to (invoices whose card was updated) and
// that backtests score with.
type MixtureFile struct {
	Schema       int    `json:"schema"`
	Family       string `json:"family"`
	ModelVersion string `json:"model_version"`
	// Layout describes the cell layout and fields the tables were fitted
	// with; a file of another layout is refused.
	Layout MixtureLayout `json:"layout"`
	// Mixture is the fitted model: its exported fields, as encoding/json
	// writes them, so the format follows the struct.
	Mixture *Mixture `json:"mixture"`
	// Checksum is the SHA-256 of Mixture's JSON encoding, which catches an
	// altered table the model version does not cover.
	Checksum string `json:"checksum"`
	// Fallback is a complete logistic model file.
	Fallback ModelFile      `json:"fallback"`
	Training MixtureSummary `json:"training"`
}

// MixtureLayout names the shape of the mixture's tables.
type MixtureLayout struct {
	Fingerprint string   `json:"fingerprint"`
	Classes     []string `json:"classes"`
	Cells       int      `json:"cells"`
	Fields      []string `json:"fields"`
}

// MixtureSummary records how the mixture was trained.
type MixtureSummary struct {
	TrainedAt  time.Time `json:"trained_at"`
	Sequences  int       `json:"sequences"` // failed invoices fitted on
	HoldOut    int       `json:"hold_out"`  // every HoldOut-th was held out for Mixture.Test
	Invoices   int       `json:"invoices,omitempty"`
	DataSource string    `json:"data_source,omitempty"`
}

var mixtureLayout = sync.OnceValue(func() MixtureLayout {
	l := MixtureLayout{Cells: numCells}
	for k := 0; k < NumClasses; k++ {
		l.Classes = append(l.Classes, ClassName(k))
	}
	t := reflect.TypeFor[Mixture]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" {
			l.Fields = append(l.Fields, f.Name+" "+f.Type.String())
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "classes %v\ncells %d\nfields %v\n", l.Classes, l.Cells, l.Fields)
	fmt.Fprintf(h, "age %v\ncure %d lift %v\nbands %d\nblock %v\nlookback %d\n", ageEdges, cureCells, cureLift, numBands, blockHours, lookbackDays)
	fmt.Fprintf(h, "offsets %d %d %d %d\nschedules %v\n", cellFundsOld, cellFundsNew, cellCure, cellDead, schedNames)
	fmt.Fprintf(h, "states %d %d %d\nactivity %d %d %d %d\nonset %d %d %v\n", stateDead, stateOnset, NumStates, actQuiet, actLive, actDead, numAct, onsetStep, numOnset, onsetClass)
	l.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
	return l
})

// NewMixtureFile describes a fitted mixture and its logistic fallback.
func NewMixtureFile(m *Mixture, fallback ModelFile, s MixtureSummary) (MixtureFile, error) {
	sum, err := mixtureChecksum(m)
	if err != nil {
		return MixtureFile{}, err
	}
	return MixtureFile{Schema: MixtureSchema, Family: FamilyMixture, ModelVersion: m.Version(), Layout: mixtureLayout(),
		Mixture: m, Checksum: sum, Fallback: fallback, Training: s}, nil
}

func mixtureChecksum(m *Mixture) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("mixture model: %w", err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// WriteMixtureModel writes the file atomically, as WriteModel does.
func WriteMixtureModel(path string, f MixtureFile) error {
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	return writeAtomic(path, b)
}

// decodeMixture parses and checks a mixture model file's bytes.
func decodeMixture(b []byte, schema int) (*Mixture, *Logistic, MixtureFile, error) {
	var f MixtureFile
	if schema != MixtureSchema {
		return nil, nil, f, fmt.Errorf("%w: schema: version %d of a mixture model file is not supported (this build reads version %d); retrain with `recoup train`", ErrModelFile, schema, MixtureSchema)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, f, fmt.Errorf("%w: %v", ErrModelFile, err)
	}
	want := mixtureLayout()
	if f.Layout.Fingerprint != want.Fingerprint {
		return nil, nil, f, fmt.Errorf("%w: layout: the file's mixture layout %q (%d cells, classes %s) is not this build's %q (%d cells, classes %s); retrain with `recoup train`",
			ErrModelFile, f.Layout.Fingerprint, f.Layout.Cells, strings.Join(f.Layout.Classes, ","), want.Fingerprint, want.Cells, strings.Join(want.Classes, ","))
	}
	m := f.Mixture
	if m == nil {
		return nil, nil, f, fmt.Errorf("%w: mixture: missing", ErrModelFile)
	}
	if err := checkMixture(m); err != nil {
		return nil, nil, f, err
	}
	if sum, err := mixtureChecksum(m); err != nil || sum != f.Checksum {
		return nil, nil, f, fmt.Errorf("%w: checksum: does not match the mixture's tables (file altered or corrupt)", ErrModelFile)
	}
	m.setVersion()
	if f.ModelVersion != m.Version() {
		return nil, nil, f, fmt.Errorf("%w: model_version: %q does not match the mixture's tables (file altered or corrupt)", ErrModelFile, f.ModelVersion)
	}
	fb, err := checkLogistic(&f.Fallback)
	if err != nil {
		return nil, nil, f, fmt.Errorf("fallback: %w", err)
	}
	return m, fb, f, nil
}

// checkMixture validates the tables' shapes and ranges.
func checkMixture(m *Mixture) error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: mixture.%s: %s", ErrModelFile, field, fmt.Sprintf(format, a...))
	}
	if m.DepositHour < 0 || m.DepositHour > 23 {
		return bad("DepositHour", "must be a local hour from 0 to 23, got %d", m.DepositHour)
	}
	if len(m.Hazard) != numCells {
		return bad("Hazard", "%d cells, this layout has %d", len(m.Hazard), numCells)
	}
	for c, h := range m.Hazard {
		if !(h >= 0 && h < 1) {
			return bad(fmt.Sprintf("Hazard[%d]", c), "a chance must be at least 0 and below 1, got %v", h)
		}
	}
	if err := checkPrior(m.GlobalPrior); err != nil {
		return bad("GlobalPrior", "%v", err)
	}
	if m.Activity != nil {
		if len(m.Activity) != numAct {
			return bad("Activity", "%d rates, this layout has %d", len(m.Activity), numAct)
		}
		for c, r := range m.Activity {
			if !(r > 0 && r < 1e3) {
				return bad(fmt.Sprintf("Activity[%d]", c), "a rate per hour must be above 0 and finite, got %v", r)
			}
		}
	}
	// The onsets set the cure classes' chances, with activity or without.
	J := numOnset + 1
	if len(m.CureOnset) != numCures*J {
		return bad("CureOnset", "%d probabilities, this layout has %d", len(m.CureOnset), numCures*J)
	}
	for c := 0; c < numCures; c++ {
		var sum float64
		for j, v := range m.CureOnset[c*J : (c+1)*J] {
			field := fmt.Sprintf("CureOnset[%d]", c*J+j)
			if !(v >= 0 && v <= 1) {
				return bad(field, "class %s's onset %d: a probability must be between 0 and 1, got %v", ClassName(classCureFast+c), j, v)
			}
			if v != 0 && int(onsetClass[j]) != c {
				return bad(field, "class %s has onset %d (%d hours) outside its window (%v to %v hours), chance %v", ClassName(classCureFast+c), j, j*onsetStep, cureLift[c], cureLift[c+1], v)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-6 {
			return bad("CureOnset", "class %s's onsets sum to %v, not 1", ClassName(classCureFast+c), sum)
		}
	}
	for _, t := range []struct {
		name string
		tab  map[string][]float64
		bars int
	}{{"Prior", m.Prior, 2}, {"FallbackPrior", m.FallbackPrior, 1}} {
		for key, p := range t.tab {
			if strings.Count(key, "|") != t.bars {
				return bad(fmt.Sprintf("%s[%q]", t.name, key), "a key has %d parts separated by |", t.bars+1)
			}
			if err := checkPrior(p); err != nil {
				return bad(fmt.Sprintf("%s[%q]", t.name, key), "%v", err)
			}
		}
	}
	return nil
}

func checkPrior(p []float64) error {
	if len(p) != NumClasses {
		return fmt.Errorf("%d class probabilities, this layout has %d classes", len(p), NumClasses)
	}
	var s float64
	for _, v := range p {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("a probability must be between 0 and 1, got %v", v)
		}
		s += v
	}
	if math.Abs(s-1) > 1e-6 {
		return fmt.Errorf("class probabilities sum to %v, not 1", s)
	}
	return nil
}
