package smartretry

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// apiBenchContexts are n requests shaped as `recoup bench`'s API
// recommendations are (an inline failed payment: a retryable decline,
// network, funding and place drawn at random, failed one to thirty-one
// hours before now, a quarter of them with a second attempt six to
// forty-seven hours after the first), planned with the API's default
// budget, three retries within seven days of the first failure.
func apiBenchContexts(n int, now time.Time) []domain.RetryContext {
	var codes []string
	for _, c := range domain.DeclineCodes() {
		if d, _ := domain.Decline(c); d.Retryable {
			codes = append(codes, c)
		}
	}
	places := [][2]string{{"US", "America/Chicago"}, {"US", "America/New_York"}, {"US", "America/Los_Angeles"},
		{"GB", "Europe/London"}, {"DE", "Europe/Berlin"}, {"FR", "Europe/Paris"}, {"BR", "America/Sao_Paulo"},
		{"IN", "Asia/Kolkata"}, {"JP", "Asia/Tokyo"}, {"AU", "Australia/Sydney"}, {"CA", "America/Toronto"}}
	networks := []domain.Network{"visa", "mastercard", "amex", "discover"}
	fundings := []domain.Funding{"credit", "debit", "prepaid"}
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]domain.RetryContext, n)
	for i := range out {
		pl := places[r.IntN(len(places))]
		failed := now.Add(-time.Duration(60+r.IntN(30*60)) * time.Minute).Truncate(time.Second)
		rc := domain.RetryContext{Now: now, Amount: int64(500 + r.IntN(49_500)), Currency: "usd",
			CustomerCountry: pl[1], CustomerTimeZone: pl[1], Network: networks[r.IntN(len(networks))],
			Funding: fundings[r.IntN(len(fundings))], RetriesLeft: 3}
		rc.CustomerCountry = pl[0]
		code, advice := codes[r.IntN(len(codes))], ""
		if rc.Network == "mastercard" && r.IntN(4) == 0 {
			advice = []string{"01", "02"}[r.IntN(2)]
		}
		at := []time.Time{failed}
		if r.IntN(4) == 0 {
			at = []time.Time{failed.Add(-time.Duration(6+r.IntN(42)) * time.Hour), failed}
			rc.RetriesLeft = 2
		}
		for k, t := range at {
			ini := domain.InitiatorRetry
			if k == 0 {
				ini = domain.InitiatorInitial
			}
			rc.Attempts = append(rc.Attempts, domain.PaymentAttempted{Base: domain.Base{OccurredAt: t}, AttemptNumber: k + 1,
				Amount: rc.Amount, Currency: "usd", Outcome: domain.Failed, DeclineCode: code, AdviceCode: advice,
				Network: rc.Network, Funding: rc.Funding, Initiator: ini})
			rc.CardAttempts = append(rc.CardAttempts, t)
		}
		rc.WindowEnd = at[0].Add(7 * 24 * time.Hour)
		out[i] = rc
	}
	return out
}

// BenchmarkMixtureRecommendAPI is the planner's part of the API
// benchmark: RecommendSchedule with the network rules, on 512 requests
// shaped as the benchmark's (apiBenchContexts) in turn, with the mixture
// trained on the B2C world.
func BenchmarkMixtureRecommendAPI(b *testing.B) {
	m, obj, _ := worldFixture(b, "b2c_us")
	p := NewMixturePlanner(m, nil, NetworkRules)
	p.Objective = obj
	ctxs := apiBenchContexts(512, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := p.RecommendSchedule(ctx, ctxs[i%len(ctxs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// The API-shaped requests plan as the reference does.
func TestMixturePlannerMatchesReferenceOnAPIRequests(t *testing.T) {
	m, obj, _ := worldFixture(t, "b2c_us")
	p := NewMixturePlanner(m, nil, NetworkRules)
	p.Objective = obj
	ctx := context.Background()
	for _, rc := range apiBenchContexts(128, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)) {
		comparePlans(t, ctx, p, rc)
	}
}
