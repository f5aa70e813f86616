package smartretry

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkRecommend plans 8 retries over a 14-day hourly grid (336
// slots): the smartretry.recommend.us figure.
func BenchmarkRecommend(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	m := randomModel(r)
	for i := range m.W {
		m.W[i] *= 0.3
	}
	p := NewPlanner(m, nil)
	c := WorkloadCase(r)
	c.Attempts[0].DeclineCode = "insufficient_funds"
	rc := contextFor(&c, 8, 14*24*time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.PlanRetry(ctx, rc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/plan")
}

// BenchmarkFit fits on 100,000 synthetic rows with two workers: the
// smartretry.train.rows_per_s figure at a size the test binary can hold.
func BenchmarkFit(b *testing.B) {
	x, y := Workload(100_000, 8)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Fit(context.Background(), x, y, FitOptions{Lambda: DefaultLambda}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
