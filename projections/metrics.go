package projections

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the Prometheus series of projection runners. Register
// Collectors with the server's registry.
type Metrics struct {
	lag     *prometheus.GaugeVec
	applied *prometheus.CounterVec
}

// NewMetrics returns unregistered metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "recoup_projection_lag_events",
			Help: "Events in $all after the projection's checkpoint (capped at projections.MaxLag).",
		}, []string{"projection"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recoup_projection_events_applied_total",
			Help: "Events handed to the projection since the process started.",
		}, []string{"projection"}),
	}
}

// Collectors returns the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.lag, m.applied}
}

// LagGauge returns the lag gauge of one projection.
func (m *Metrics) LagGauge(name string) prometheus.Gauge { return m.lag.WithLabelValues(name) }
