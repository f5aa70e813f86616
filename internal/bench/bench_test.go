package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.5, "0.5"}, {1.23456, "1.23"}, {999, "999"}, {1000, "1,000"},
		{1234567.4, "1,234,567"}, {-45678, "-45,678"}, {123456, "123,456"},
	}
	for _, c := range cases {
		if got := FormatNumber(c.in); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPrinters(t *testing.T) {
	rows := []Result{WithBaseline("x.fast", 2_000_000, "events/s", 4_000_000), {Name: "x.plain", Value: 3.5, Unit: "ms"}}
	var table bytes.Buffer
	if err := PrintTable(&table, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(table.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "2,000,000") || !strings.Contains(lines[1], "0.50") || !strings.Contains(lines[2], "-") {
		t.Fatalf("table:\n%s", table.String())
	}
	if len(lines[0]) != len(lines[1]) || len(lines[1]) != len(lines[2]) {
		t.Fatalf("table columns not aligned:\n%s", table.String())
	}
	var js bytes.Buffer
	if err := PrintJSON(&js, rows); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&js)
	var first map[string]any
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "value", "unit", "baseline", "ratio"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("JSON row %v lacks %q", first, k)
		}
	}
	if first["ratio"].(float64) != 0.5 {
		t.Fatalf("ratio %v, want 0.5", first["ratio"])
	}
}

func TestFigureRunsDependencyFirst(t *testing.T) {
	var order []string
	Register("tbase", func(ctx context.Context, env *Env) ([]Result, error) {
		order = append(order, "tbase")
		return []Result{{Name: "tbase.speed", Value: 10, Unit: "ops/s"}}, nil
	})
	Register("tadep", func(ctx context.Context, env *Env) ([]Result, error) {
		order = append(order, "tadep")
		base, ok := env.Figure("tbase.speed")
		if !ok {
			return nil, errors.New("no base figure")
		}
		return []Result{WithBaseline("tadep.speed", 5, "ops/s", base)}, nil
	})
	env := NewEnv(context.Background(), t.TempDir(), true, nil)
	rows, err := env.Run("tadep")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "tadep.speed" || rows[0].Ratio != 0.5 {
		t.Fatalf("rows %+v", rows)
	}
	if strings.Join(order, ",") != "tadep,tbase" {
		t.Fatalf("order %v", order)
	}
	// A full run does not run tbase again and returns both rows.
	rows, err = env.Run("t")
	if err != nil || len(rows) != 2 || len(order) != 2 {
		t.Fatalf("rows %+v, order %v, err %v", rows, order, err)
	}
}

// TestDottedSuite files one suite's figures under another's name: the
// figure finds its own suite, and --only of the outer name runs both.
func TestDottedSuite(t *testing.T) {
	Register("touter", func(ctx context.Context, env *Env) ([]Result, error) {
		return []Result{{Name: "touter.speed", Value: 4, Unit: "ops/s"}}, nil
	})
	Register("touter.inner", func(ctx context.Context, env *Env) ([]Result, error) {
		base, ok := env.Figure("touter.speed")
		if !ok {
			return nil, errors.New("no outer figure")
		}
		return []Result{WithBaseline("touter.inner.speed", 2, "ops/s", base)}, nil
	})
	if got := suiteOf("touter.inner.speed"); got != "touter.inner" {
		t.Fatalf("suiteOf(touter.inner.speed) = %q", got)
	}
	if got := suiteOf("touter.speed"); got != "touter" {
		t.Fatalf("suiteOf(touter.speed) = %q", got)
	}
	rows, err := NewEnv(context.Background(), t.TempDir(), true, nil).Run("touter.inner")
	if err != nil || len(rows) != 1 || rows[0].Ratio != 0.5 {
		t.Fatalf("--only touter.inner: %+v, %v", rows, err)
	}
	rows, err = NewEnv(context.Background(), t.TempDir(), true, nil).Run("touter")
	if err != nil || len(rows) != 2 {
		t.Fatalf("--only touter: %+v, %v", rows, err)
	}
}
