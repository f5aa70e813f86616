package smartsim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

// mixtureFixture is a mixture planner trained on a default world and
// planning requests it received replaying that world: the cases on which
// smartretry's TestMixturePlannerMatchesReferenceOnWorlds compares the
// mixture planner with its reference search.
type mixtureFixture struct {
	World     string                `json:"world"`
	Mixture   *smartretry.Mixture   `json:"mixture"`
	Objective smartretry.Objective  `json:"objective"`
	Contexts  []domain.RetryContext `json:"contexts"`
}

// TestWriteMixtureFixtures writes smartretry/testdata/mixture_<world>.json.gz
// for both default worlds when RECOUP_WRITE_MIXTURE_FIXTURES is set (run
// it again after a change of the mixture's cells or classes):
//
//	RECOUP_WRITE_MIXTURE_FIXTURES=1 go test ./internal/smartsim -run TestWriteMixtureFixtures
func TestWriteMixtureFixtures(t *testing.T) {
	if os.Getenv("RECOUP_WRITE_MIXTURE_FIXTURES") == "" {
		t.Skip("set RECOUP_WRITE_MIXTURE_FIXTURES=1 to write the mixture planner's fixtures")
	}
	ctx := context.Background()
	for _, name := range []string{"b2c_us", "b2b_global"} {
		m := world(t, name)
		p, err := TrainMixture(ctx, m, 1, TrainOptions{Invoices: 20000})
		if err != nil {
			t.Fatal(err)
		}
		fx := mixtureFixture{World: name, Mixture: p.M, Objective: p.Objective}
		var mu sync.Mutex
		seen := 0
		record := func(rc domain.RetryContext) (domain.RetryPlan, error) {
			mu.Lock()
			// One request in seven, up to 400, across invoices and budgets.
			if seen++; seen%7 == 0 && len(fx.Contexts) < 400 {
				fx.Contexts = append(fx.Contexts, rc)
			}
			mu.Unlock()
			return p.PlanRetry(ctx, rc)
		}
		_, err = simulator.Eval(ctx, m, simulator.EvalOptions{Seed: 3, Invoices: 1500, Training: 300, SearchStep: 24, Workers: 1,
			Planners: []simulator.NamedPlanner{{Name: "smart", New: func(simulator.Budget) (simulator.PlannerFunc, error) { return record, nil }}}})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err := json.NewEncoder(zw).Encode(fx); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "smartretry", "testdata", "mixture_"+name+".json.gz")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d contexts, %d bytes", path, len(fx.Contexts), b.Len())
	}
}
