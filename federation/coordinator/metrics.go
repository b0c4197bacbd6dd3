package coordinator

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the coordinator's Prometheus series.
type Metrics struct {
	RoundsOpened       prometheus.Counter
	RoundsFinished     *prometheus.CounterVec
	Submissions        *prometheus.CounterVec
	AggregationSeconds prometheus.Histogram
	storeSize          func() int64
}

// NewMetrics registers the series with reg (a registry of the caller's,
// not the global one).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		RoundsOpened: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "nistgmm", Subsystem: "federation",
			Name: "rounds_opened_total", Help: "Rounds opened."}),
		RoundsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "nistgmm", Subsystem: "federation",
			Name: "rounds_finished_total", Help: "Rounds finished, by outcome (done or failed)."}, []string{"outcome"}),
		Submissions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "nistgmm", Subsystem: "federation",
			Name: "submissions_total", Help: "Commitments and reveals received, by kind and outcome (accepted, duplicate, refused, store_error)."},
			[]string{"kind", "outcome"}),
		AggregationSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "nistgmm", Subsystem: "federation",
			Name: "aggregation_seconds", Help: "Time from the start of a round's aggregation to its result.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 16)}),
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "nistgmm", Subsystem: "federation",
		Name: "store_bytes", Help: "Size of the store's database file."}, func() float64 {
		if m.storeSize != nil {
			return float64(m.storeSize())
		}
		return 0
	})
	reg.MustRegister(m.RoundsOpened, m.RoundsFinished, m.Submissions, m.AggregationSeconds, size)
	for _, o := range []string{PhaseDone, PhaseFailed} {
		m.RoundsFinished.WithLabelValues(o)
	}
	for _, k := range []string{"commit", "reveal"} {
		for _, o := range []string{"accepted", "duplicate", "refused", "store_error"} {
			m.Submissions.WithLabelValues(k, o)
		}
	}
	return m
}

// MetricsOnly serves reg on /metrics.
func MetricsOnly(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
