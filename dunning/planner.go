package dunning

import (
	"context"
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// RetryPlanner chooses the next attempt of a smart-retry run. The smart
// retries model (package smartretry) implements it; until a model is
// configured, HeuristicPlanner stands in. The engine checks every plan
// against the card-network rules and the preset's window, whatever the
// planner says.
type RetryPlanner interface {
	PlanRetry(ctx context.Context, rc domain.RetryContext) (domain.RetryPlan, error)
}

// HeuristicVersion names the stand-in planner in every plan and every
// RetryScheduled it produces, so that histories show no model was used.
const HeuristicVersion = "heuristic-v1"

// HeuristicPlanner is a documented rule of thumb used for smart presets
// while no trained model is configured:
//
//   - technical declines (processing errors, issuer unavailable) are
//     retried one hour after the failure: they usually cure in hours;
//   - every other decline spreads the remaining retries evenly over the
//     rest of the window, each placed at 10:00 in the customer's time zone
//     (mornings follow overnight pay deposits), never sooner than 12 hours
//     after the last attempt.
//
// Its probabilities are fixed priors by decline category, not
// predictions; the Explanation says so.
type HeuristicPlanner struct{}

// priors are rough per-attempt success chances by decline category; they
// only rank slots for the explanation and the recorded score.
var priors = map[domain.DeclineCategory]float64{
	domain.CategoryFunds:     0.15,
	domain.CategorySoft:      0.20,
	domain.CategoryTechnical: 0.50,
	domain.CategoryCardData:  0.02,
	domain.CategoryHard:      0.0,
}

// PlanRetry implements RetryPlanner.
func (HeuristicPlanner) PlanRetry(_ context.Context, rc domain.RetryContext) (domain.RetryPlan, error) {
	plan := domain.RetryPlan{Source: domain.SourceSmart, ModelVersion: HeuristicVersion, Propensity: 1}
	if rc.RetriesLeft <= 0 || len(rc.Attempts) == 0 {
		plan.Explanation = HeuristicVersion + " (no trained model): no retries left"
		return plan, nil
	}
	last := rc.Attempts[len(rc.Attempts)-1]
	info, _ := domain.Decline(last.DeclineCode)
	p := priors[info.Category]
	if info.Category == "" {
		p = priors[domain.CategorySoft]
	}
	loc := time.UTC
	if l, err := time.LoadLocation(rc.CustomerTimeZone); err == nil && rc.CustomerTimeZone != "" {
		loc = l
	}
	var slots []domain.PlannedSlot
	from := last.OccurredAt
	prev := from
	if info.Category == domain.CategoryTechnical {
		from = from.Add(time.Hour)
		prev = from
		slots = append(slots, domain.PlannedSlot{At: from, Probability: p})
	}
	remaining := rc.RetriesLeft - len(slots)
	if remaining > 0 && rc.WindowEnd.After(from) {
		step := rc.WindowEnd.Sub(from) / time.Duration(remaining)
		for i := 1; i <= remaining; i++ {
			t := atLocalHour(from.Add(step*time.Duration(i)), 10, loc)
			for t.After(rc.WindowEnd) {
				t = t.AddDate(0, 0, -1) // the last 10:00 inside the window
			}
			if t.Sub(prev) < 12*time.Hour {
				t = atLocalHour(prev.Add(12*time.Hour), 10, loc)
			}
			if t.After(rc.WindowEnd) {
				break
			}
			slots = append(slots, domain.PlannedSlot{At: t, Probability: p})
			prev = t
		}
	}
	if len(slots) == 0 {
		plan.Explanation = HeuristicVersion + " (no trained model): no slot left in the window"
		return plan, nil
	}
	plan.Retry, plan.At, plan.Probability, plan.Schedule = true, slots[0].At, slots[0].Probability, slots
	plan.Explanation = fmt.Sprintf("%s (no trained model): %s decline; %d retries spread to 10:00 %s before %s; probability is a fixed prior for the category",
		HeuristicVersion, categoryName(info.Category), len(slots), loc, rc.WindowEnd.Format(time.RFC3339))
	return plan, nil
}

// atLocalHour moves t to hour:00 of its local day, or of the next day if
// that moment has passed.
func atLocalHour(t time.Time, hour int, loc *time.Location) time.Time {
	l := t.In(loc)
	c := time.Date(l.Year(), l.Month(), l.Day(), hour, 0, 0, 0, loc)
	if c.Before(l) {
		c = c.AddDate(0, 0, 1)
	}
	return c.UTC()
}

func categoryName(c domain.DeclineCategory) string {
	if c == "" {
		return "unknown"
	}
	return string(c)
}
