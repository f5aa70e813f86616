package smartretry

import "time"

// prepared folds a linear model's weights with a Case's static block and
// group indicators, once per request: the log-odds of an attempt at t is
// then base + Σ_k coef[k]·time_k(t). The coefficients come from the
// model's folded tables (fold.go); the methods below compute the parts of
// the sum, for the tables and for times off the grid.
type prepared struct {
	s    staticPart
	base float64
	coef [numTime]float64
}

// attemptLogit is the attempt-number part for attempt n.
func (p *prepared) attemptLogit(n int) float64 {
	var x [numTime]float64
	attemptFeatures(&x, n)
	return p.coef[tLogAttempt]*x[tLogAttempt] + p.coef[tFirstRetry]*x[tFirstRetry]
}

// gapLogit is the log-odds part of the time since the previous attempt.
func (p *prepared) gapLogit(d time.Duration) float64 {
	var x [numTime]float64
	gapFeatures(&x, d)
	return p.coef[tHLast]*x[tHLast] + p.coef[tWithinDay]*x[tWithinDay]
}

// prevLogit is the log-odds part of when the previous attempt was made.
func (p *prepared) prevLogit(prev civil) float64 {
	var x [numTime]float64
	prevFeatures(&x, prev)
	return p.coef[tPrevNight]*x[tPrevNight] + p.coef[tPrevDay]*x[tPrevDay]
}

// sinceFirstLogit is the log-odds part of the time since the first
// failure.
func (p *prepared) sinceFirstLogit(d time.Duration) float64 {
	var x [numTime]float64
	sinceFirstFeatures(&x, d)
	return p.coef[tHFirst]*x[tHFirst] + p.coef[tDFirst]*x[tDFirst] + p.coef[tCure6]*x[tCure6] + p.coef[tCure36]*x[tCure36] + p.coef[tCure120]*x[tCure120]
}
