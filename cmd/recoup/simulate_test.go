package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

func TestSimulateCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, err := runRecoup(t, "simulate", "--world", "b2b_global", "--customers", "200", "--days", "40", "--seed", "9", "--out", dir, "--json")
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	var res struct {
		Dir   string
		Stats struct {
			Renewals     int `json:"renewals"`
			WorldEvents  int `json:"world_events"`
			EngineEvents int `json:"engine_events"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	s, err := pebble.Open(filepath.Join(dir, "events"), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != res.Stats.WorldEvents+res.Stats.EngineEvents || res.Stats.Renewals < 200 {
		t.Fatalf("store holds %d events; summary says %+v", len(recs), res.Stats)
	}
	s.Close()
	// A second run into the same directory is refused.
	_, err = runRecoup(t, "simulate", "--customers", "10", "--days", "1", "--out", dir)
	if err == nil || !strings.Contains(err.Error(), "fresh directory") {
		t.Fatalf("second simulate into %s: %v", dir, err)
	}
	if _, err := runRecoup(t, "simulate", "--customers", "0", "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "customers") {
		t.Fatalf("--customers 0: %v", err)
	}
}
