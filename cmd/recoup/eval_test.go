package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/recoupledger/recoup/simulator"
)

// runRecoup runs the command line in-process. Cobra keeps flag values
// between executions, so every flag of the subcommand is reset first.
func runRecoup(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if sub, _, err := rootCmd.Find(args); err == nil {
		sub.Flags().VisitAll(func(f *pflag.Flag) {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				sv.Replace(nil)
			} else {
				f.Value.Set(f.DefValue)
			}
			f.Changed = false
		})
	}
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestEvalCommandJSON(t *testing.T) {
	dir := t.TempDir()
	preset := filepath.Join(dir, "weekly.json")
	if err := os.WriteFile(preset, []byte(`{"name":"weekly","retries_enabled":true,"schedule":[2,2,3],"during_recovery":"pause","after_failure_subscription":"cancel","after_failure_invoice":"leave_overdue"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runRecoup(t, "eval", "--world", "b2b_global", "--seed", "3", "--invoices", "600", "--training", "200", "--budget", "3/7", "--preset", preset, "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	var rep simulator.EvalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval --json is not a report: %v\n%s", err, out)
	}
	if len(rep.Budgets) != 1 || rep.Budgets[0].Budget != (simulator.Budget{Retries: 3, WindowDays: 7}) {
		t.Fatalf("budgets %+v", rep.Budgets)
	}
	names := map[string]bool{}
	for _, s := range rep.Budgets[0].Policies {
		names[s.Policy] = true
		if s.Invoices != 600 || s.Violations.Value != 0 {
			t.Errorf("%s: %d invoices, %v violations", s.Policy, s.Invoices, s.Violations.Value)
		}
	}
	for _, n := range []string{"fixed-even", "metrifox-default", "stripe-like", "fixed-search", "preset:weekly", "oracle", "clairvoyant"} {
		if !names[n] {
			t.Errorf("policy %s missing from %v", n, names)
		}
	}
}

func TestEvalCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema":1,"name":"x","countries":[]}`), 0o644)
	badPreset := filepath.Join(dir, "p.json")
	os.WriteFile(badPreset, []byte(`{"name":"p","retries_enabled":true,"schedule":[0]}`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--world", bad}, "$.countries"},
		{[]string{"eval", "--world", "nowhere"}, "not a default world"},
		{[]string{"eval", "--budget", "9/7"}, "--budget"},
		{[]string{"eval", "--preset", badPreset}, "schedule[0]"},
	} {
		out, err := runRecoup(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: want an error naming %q, got %v\n%s", tt.args, tt.want, err, out)
		}
	}
}
