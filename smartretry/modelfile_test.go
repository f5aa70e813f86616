package smartretry

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModelFileRoundTripAndRefusals(t *testing.T) {
	m := randomModel(rand.New(rand.NewPCG(2, 2)))
	path := filepath.Join(t.TempDir(), "model.json")
	mf := NewModelFile(m, Summary{Rows: 10})
	mf.ReminderValue = 1.5e-4
	if err := WriteModel(path, mf); err != nil {
		t.Fatal(err)
	}
	got, f, err := ReadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version() != m.Version() || f.Summary.Rows != 10 || len(got.W) != len(m.W) || f.Objective().ReminderValue != 1.5e-4 {
		t.Fatalf("round trip changed the model: %s vs %s", got.Version(), m.Version())
	}
	good, _ := os.ReadFile(path)
	edit := docEditor(t, good)
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "not JSON"},
		{"other schema", edit(func(d map[string]any) { d["schema"] = 2 }), "schema: version 2"},
		{"no schema", edit(func(d map[string]any) { delete(d, "schema") }), "schema: missing"},
		{"altered weight", edit(func(d map[string]any) { d["weights"].([]any)[3] = 9.0 }), "model_version"},
		{"fewer features", edit(func(d map[string]any) { d["feature_names"] = d["feature_names"].([]any)[1:] }), "feature_names"},
		{"unknown field", edit(func(d map[string]any) { d["extra"] = 1 }), "unknown field"},
		{"family", edit(func(d map[string]any) { d["family"] = "trees" }), "family"},
		{"negative reminder value", edit(func(d map[string]any) { d["reminder_value"] = -0.1 }), "reminder_value"},
		{"reminder value of a share", edit(func(d map[string]any) { d["reminder_value"] = 2.0 }), "reminder_value"},
	}
	for _, tc := range tests {
		_, _, err := DecodeModel(tc.body)
		if err == nil || !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrModelFile mentioning %q", tc.name, err, tc.want)
		}
	}
}

func FuzzDecodeModel(f *testing.F) {
	m := randomModel(rand.New(rand.NewPCG(3, 3)))
	b, _ := json.Marshal(NewModelFile(m, Summary{}))
	f.Add(b)
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":1,"family":"logistic","weights":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := DecodeModel(data)
		if err == nil && (got == nil || len(got.W) != len(lay.names)) {
			t.Fatal("accepted a model of the wrong shape")
		}
	})
}

// docEditor returns a function that decodes the JSON document good, lets
// fn change it, and encodes the result: a file with one field altered.
func docEditor(t *testing.T, good []byte) func(fn func(map[string]any)) []byte {
	return func(fn func(map[string]any)) []byte {
		t.Helper()
		var doc map[string]any
		if err := json.Unmarshal(good, &doc); err != nil {
			t.Fatal(err)
		}
		fn(doc)
		b, _ := json.Marshal(doc)
		return b
	}
}
