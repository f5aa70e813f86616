package smartretry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// smallMixture fits a quick mixture of the pay world (mixture_test.go).
func smallMixture(t testing.TB) (*Mixture, *time.Location) {
	t.Helper()
	m, loc := fitNewYork(t, paySequences, 11, 12, 1500, MixtureOptions{Iterations: 8, DepositHours: []int{6}, HoldOut: 5})
	return m, loc
}

func writeSmallMixtureFile(t *testing.T) (string, *Mixture, *Logistic, *time.Location) {
	t.Helper()
	m, loc := smallMixture(t)
	lg := randomModel(rand.New(rand.NewPCG(2, 2)))
	lf := NewModelFile(lg, Summary{Rows: 10})
	lf.ReminderValue = 2e-4
	mf, err := NewMixtureFile(m, lf, MixtureSummary{Sequences: 1500, HoldOut: 5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.json")
	if err := WriteMixtureModel(path, mf); err != nil {
		t.Fatal(err)
	}
	return path, m, lg, loc
}

// mixtureContexts are failed invoices of several kinds, one with its card
// updated since the failure (which the fallback plans).
func mixtureContexts(loc *time.Location) []domain.RetryContext {
	var out []domain.RetryContext
	codes := []string{"insufficient_funds", "do_not_honor", "processing_error", "insufficient_funds"}
	for i, code := range codes {
		failed := time.Date(2026, 7, 20+i, 10+i, 0, 0, 0, loc)
		rc := domain.RetryContext{
			Now: failed.Add(time.Hour), InvoiceID: "in_" + code, Amount: 5000, Currency: "usd", CustomerCountry: "US", CustomerTimeZone: loc.String(),
			Network: domain.Visa, Funding: domain.Debit, RetriesLeft: 3, WindowEnd: failed.Add(7 * 24 * time.Hour),
			Attempts: []domain.PaymentAttempted{{Base: domain.Base{OccurredAt: failed}, InvoiceID: "in_1", AttemptNumber: 1, Amount: 5000,
				Outcome: domain.Failed, DeclineCode: code, Network: domain.Visa, Funding: domain.Debit, Initiator: domain.InitiatorInitial}},
		}
		if i == 3 {
			up := failed.Add(30 * time.Minute)
			rc.PaymentMethodUpdatedAt = &up
		}
		out = append(out, rc)
	}
	return out
}

func TestMixtureFileRoundTripPlansAlike(t *testing.T) {
	path, m, lg, loc := writeSmallMixtureFile(t)
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Family != FamilyMixture || l.Version != m.Version() || l.Mixture.Version() != m.Version() || l.Logistic.Version() != lg.Version() {
		t.Fatalf("loaded %s %s (logistic %s), want mixture %s (logistic %s)", l.Family, l.Version, l.Logistic.Version(), m.Version(), lg.Version())
	}
	if l.Objective().ReminderValue != 2e-4 || l.MixtureFile.Training.Sequences != 1500 || l.Mixture.Test.Rows != m.Test.Rows {
		t.Fatalf("loaded file lost its summary: %+v", l.MixtureFile.Training)
	}
	fb := NewPlanner(NewLogistic(lg.W, m.Version()), nil)
	fb.Objective = l.Objective()
	want := NewMixturePlanner(m, fb, nil)
	want.Objective = l.Objective()
	got := l.Planner(nil)
	if _, ok := got.(*MixturePlanner); !ok {
		t.Fatalf("planner of a mixture file is %T", got)
	}
	for _, rc := range mixtureContexts(loc) {
		a, err := want.Recommend(context.Background(), rc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := got.Recommend(context.Background(), rc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Plan, b.Plan) || !reflect.DeepEqual(a.Candidates, b.Candidates) || a.Window != b.Window {
			t.Errorf("%s: the loaded model plans differently:\n%+v\n%+v", rc.InvoiceID, a.Plan, b.Plan)
		}
		if !b.Plan.Retry || len(b.Candidates) == 0 || b.Plan.ModelVersion != m.Version() {
			t.Errorf("%s: want a retry and scored candidates, got %+v", rc.InvoiceID, b.Plan)
		}
	}
}

func TestLoadReadsLogisticFiles(t *testing.T) {
	m := randomModel(rand.New(rand.NewPCG(4, 4)))
	path := filepath.Join(t.TempDir(), "model.json")
	if err := WriteModel(path, NewModelFile(m, Summary{Rows: 3})); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Family != FamilyLogistic || l.Version != m.Version() || l.Mixture != nil {
		t.Fatalf("loaded %+v", l)
	}
	if _, ok := l.Planner(nil).(*Planner); !ok {
		t.Fatalf("planner of a logistic file is %T", l.Planner(nil))
	}
}

func TestMixtureFileRefusals(t *testing.T) {
	path, _, _, _ := writeSmallMixtureFile(t)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit := docEditor(t, good)
	mix := func(d map[string]any) map[string]any { return d["mixture"].(map[string]any) }
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "not JSON"},
		{"empty", nil, "not JSON"},
		{"other schema", edit(func(d map[string]any) { d["schema"] = MixtureSchema + 1 }), fmt.Sprintf("schema: version %d of a mixture model file", MixtureSchema+1)},
		{"activity of another length", edit(func(d map[string]any) { mix(d)["Activity"] = []any{0.1} }), "mixture.Activity:"},
		{"onsets not summing to 1", edit(func(d map[string]any) { mix(d)["CureOnset"].([]any)[0] = 0.5 }), "mixture.CureOnset:"},
		{"onset out of range", edit(func(d map[string]any) { mix(d)["CureOnset"].([]any)[1] = -0.1 }), "mixture.CureOnset[1]: class cure_"},
		{"onset outside its class's window", edit(func(d map[string]any) { mix(d)["CureOnset"].([]any)[onsetLo[1]] = 0.5 }),
			fmt.Sprintf("mixture.CureOnset[%d]: class %s has onset %d (%d hours) outside its window", onsetLo[1], ClassName(classCureFast), onsetLo[1], onsetLo[1]*onsetStep)},
		{"older schema", edit(func(d map[string]any) { d["schema"] = MixtureSchema - 1 }), fmt.Sprintf("schema: version %d of a mixture model file is not supported (this build reads version %d); retrain", MixtureSchema-1, MixtureSchema)},
		{"no schema", edit(func(d map[string]any) { delete(d, "schema") }), "schema: missing"},
		{"no family", edit(func(d map[string]any) { delete(d, "family") }), "family: missing"},
		{"unknown family", edit(func(d map[string]any) { d["family"] = "trees" }), `family: "trees" is not a model family`},
		{"other layout", edit(func(d map[string]any) { d["layout"].(map[string]any)["fingerprint"] = "0000" }), "layout:"},
		{"no mixture", edit(func(d map[string]any) { delete(d, "mixture") }), "mixture: missing"},
		{"altered hazard", edit(func(d map[string]any) { mix(d)["Hazard"].([]any)[5] = 0.5 }), "checksum"},
		{"altered prior", edit(func(d map[string]any) {
			for _, v := range mix(d)["Prior"].(map[string]any) {
				p := v.([]any)
				p[0], p[1] = p[1], p[0]
				break
			}
		}), "checksum"},
		{"altered version", edit(func(d map[string]any) { d["model_version"] = "mixture-0000000000000000" }), "model_version"},
		{"hazard of another length", edit(func(d map[string]any) { mix(d)["Hazard"] = mix(d)["Hazard"].([]any)[1:] }), "mixture.Hazard:"},
		{"hazard out of range", edit(func(d map[string]any) { mix(d)["Hazard"].([]any)[0] = 1.5 }), "mixture.Hazard[0]"},
		{"prior not summing to 1", edit(func(d map[string]any) { mix(d)["GlobalPrior"].([]any)[0] = 0.9 }), "mixture.GlobalPrior"},
		{"deposit hour", edit(func(d map[string]any) { mix(d)["DepositHour"] = 24 }), "mixture.DepositHour"},
		{"unknown field", edit(func(d map[string]any) { d["extra"] = 1 }), "unknown field"},
		{"unknown mixture field", edit(func(d map[string]any) { mix(d)["Extra"] = 1 }), "unknown field"},
		{"altered fallback", edit(func(d map[string]any) { d["fallback"].(map[string]any)["weights"].([]any)[2] = 9.0 }), "fallback: invalid model file: model_version"},
		{"fallback of another schema", edit(func(d map[string]any) { d["fallback"].(map[string]any)["schema"] = 7 }), "fallback: invalid model file: schema: version 7"},
	}
	for _, tc := range tests {
		_, err := Decode(tc.body)
		if err == nil || !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrModelFile mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

// The mixture file holds Mixture's fields as encoding/json writes them; a
// change of its fields or cell layout changes the format, and must come
// with a new MixtureSchema and its fingerprint here.
func TestMixtureSchemaPinsLayout(t *testing.T) {
	if got := mixtureLayout().Fingerprint; got != mixtureLayoutV {
		t.Fatalf("the mixture's fields or cell layout changed (fingerprint %s, schema %d was %s): files written before cannot be read as they were, "+
			"so raise MixtureSchema and set mixtureLayoutV to %s (mixture_file.go)", got, MixtureSchema, mixtureLayoutV, got)
	}
}

func FuzzDecode(f *testing.F) {
	m := &Mixture{DepositHour: 3, Hazard: make([]float64, numCells), GlobalPrior: make([]float64, NumClasses)}
	for c := range m.Hazard {
		m.Hazard[c] = 0.1
	}
	for k := range m.GlobalPrior {
		m.GlobalPrior[k] = 1 / float64(NumClasses)
	}
	m.setVersion()
	lg := randomModel(rand.New(rand.NewPCG(3, 3)))
	mf, err := NewMixtureFile(m, NewModelFile(lg, Summary{}), MixtureSummary{})
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(mf)
	f.Add(b)
	lb, _ := json.Marshal(NewModelFile(lg, Summary{}))
	f.Add(lb)
	f.Add([]byte(`{"schema":1,"family":"mixture"}`))
	f.Add([]byte(`{"schema":1,"family":"mixture","mixture":{"Hazard":[0.5]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Decode(data)
		if err != nil {
			return
		}
		if l.Logistic == nil || len(l.Logistic.W) != len(lay.names) {
			t.Fatal("accepted a file without a logistic model of this layout")
		}
		if l.Family == FamilyMixture && (l.Mixture == nil || len(l.Mixture.Hazard) != numCells || len(l.Mixture.GlobalPrior) != NumClasses) {
			t.Fatal("accepted a mixture of the wrong shape")
		}
	})
}
