package main

import (
	"strings"
	"testing"

	"github.com/recoupledger/recoup/internal/smartsim"
)

// --only runs each named candidate once, in the order first named, and
// an unknown name is refused naming every candidate there is.
func TestOnlyCandidates(t *testing.T) {
	all := smartsim.CheckCandidates()
	if len(all) < 2 {
		t.Fatalf("want at least two check candidates, got %d", len(all))
	}
	a, b := all[0].Name, all[1].Name
	for _, tc := range []struct {
		only []string
		want []string
	}{
		{nil, nil},
		{[]string{b}, []string{b}},
		{[]string{b, a, b, b}, []string{b, a}},
	} {
		got, err := onlyCandidates(tc.only)
		if err != nil {
			t.Fatalf("%q: %v", tc.only, err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if strings.Join(names, "|") != strings.Join(tc.want, "|") {
			t.Errorf("--only %q ran %q, want %q", tc.only, names, tc.want)
		}
	}
	_, err := onlyCandidates([]string{a, "no such preset"})
	if err == nil || !strings.Contains(err.Error(), "--only") || !strings.Contains(err.Error(), `"no such preset"`) {
		t.Fatalf("unknown name: %v", err)
	}
	for _, c := range all {
		if !strings.Contains(err.Error(), c.Name) {
			t.Errorf("refusal %q does not name %q", err, c.Name)
		}
	}
}
