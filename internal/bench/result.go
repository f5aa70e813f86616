package bench

// Result is one row of a benchmark run. Baseline and Ratio are 0 when the
// figure has no baseline; Ratio is Value/Baseline otherwise.
type Result struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	Ratio    float64 `json:"ratio"`
}

// WithBaseline returns a row for value against baseline, with their ratio.
func WithBaseline(name string, value float64, unit string, baseline float64) Result {
	r := Result{Name: name, Value: value, Unit: unit, Baseline: baseline}
	if baseline != 0 {
		r.Ratio = value / baseline
	}
	return r
}
