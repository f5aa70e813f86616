package smartretry

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// The engine (PlanRetry) and recommendations (the API's and the CLI's)
// choose the planner of a context at the same point: an invoice whose
// card was updated since its first failure is the fallback's whatever
// else holds, so for no retries left, or a last attempt that succeeded,
// both answer with the fallback's plan and name its model version; an
// invoice whose card was not updated is the mixture's in both.
func TestMixtureFallbackChosenAlike(t *testing.T) {
	m := randomMixture(rand.New(rand.NewPCG(5, 6)), 0)
	fb := NewPlanner(randomModel(rand.New(rand.NewPCG(7, 8))), nil)
	p := NewMixturePlanner(m, fb, nil)
	if fb.Scorer.Version() == m.Version() {
		t.Fatal("the test needs a fallback with a version of its own")
	}
	ctx := context.Background()
	loc, _ := location("America/New_York")
	failed := time.Date(2026, 7, 20, 10, 0, 0, 0, loc)
	for _, tc := range []struct {
		name      string
		updated   bool
		left      int
		succeeded bool
	}{
		{"updated, retries left", true, 3, false},
		{"updated, no retries left", true, 0, false},
		{"updated, last attempt succeeded", true, 3, true},
		{"not updated, retries left", false, 3, false},
		{"not updated, no retries left", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := fundsFailure(failed, tc.left)
			rc.Now = failed.Add(2 * time.Hour)
			if tc.updated {
				up := failed.Add(time.Hour)
				rc.PaymentMethodUpdatedAt = &up
			}
			if tc.succeeded {
				ok := rc.Attempts[0]
				ok.OccurredAt, ok.AttemptNumber, ok.Outcome, ok.DeclineCode, ok.Initiator = failed.Add(90*time.Minute), 2, domain.Succeeded, "", domain.InitiatorRetry
				rc.Attempts = append(rc.Attempts, ok)
			}
			want := m.Version()
			if tc.updated {
				want = fb.Scorer.Version()
			}
			engine, err := p.PlanRetry(ctx, rc)
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []func(context.Context, domain.RetryContext) (Recommendation, error){p.Recommend, p.RecommendSchedule} {
				r, err := rec(ctx, rc)
				if err != nil {
					t.Fatal(err)
				}
				if engine.ModelVersion != want || r.Plan.ModelVersion != want {
					t.Fatalf("engine names %s, recommendation %s; want %s", engine.ModelVersion, r.Plan.ModelVersion, want)
				}
				if engine.Retry != r.Plan.Retry || !engine.At.Equal(r.Plan.At) || !reflect.DeepEqual(engine.Schedule, r.Plan.Schedule) {
					t.Fatalf("engine plan %+v, recommendation's %+v", engine, r.Plan)
				}
				if !engine.Retry && engine.Explanation != r.Plan.Explanation {
					t.Fatalf("engine stops with %q, the recommendation with %q", engine.Explanation, r.Plan.Explanation)
				}
			}
			if tc.left == 0 && !strings.Contains(engine.Explanation, "no retries left") {
				t.Fatalf("explanation %q: want no retries left", engine.Explanation)
			}
		})
	}
}
