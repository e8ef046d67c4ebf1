package executor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sindri/deploy/v3/pkg/cost"
)

// Outcome labels of the jobs counter and duration histogram.
const (
	OutcomeSucceeded    = "succeeded"
	OutcomeFailed       = "failed"
	OutcomeSuperseded   = "superseded"
	OutcomeRetrying     = "retrying"
	OutcomeDeadlettered = "deadlettered"
	OutcomeLeaseWait    = "lease_wait"
	OutcomeHandedBack   = "handed_back"
	OutcomeRefused      = "refused"   // malformed, unknown version, invalid, not allowed
	OutcomeDuplicate    = "duplicate" // already finished by an earlier delivery
)

// Metrics are the executor's Prometheus collectors. Create them with NewMetrics; a nil
// *Metrics records nothing.
type Metrics struct {
	jobs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	redelivered prometheus.Counter
	leaseWaits  prometheus.Counter
}

// NewMetrics creates the collectors and registers them with reg (nil: not registered).
// It returns the registration error, e.g. when reg already holds collectors of these names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "jobs_total",
			Help: "Job deliveries handled, by job kind and outcome.",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "job_duration_seconds",
			Help:    "Time from delivery to the ack decision, by job kind and outcome.",
			Buckets: []float64{.005, .01, .05, .1, .5, 1, 5, 15, 60, 300, 900, 1800},
		}, []string{"kind", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "jobs_in_flight",
			Help: "Jobs being handled now.",
		}),
		redelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "redeliveries_total",
			Help: "Deliveries of a job that had been delivered before.",
		}),
		leaseWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "lease_waits_total",
			Help: "Jobs handed back because another job held the environment's lease.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.jobs, m.duration, m.inFlight, m.redelivered, m.leaseWaits} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) observe(kind, outcome string, seconds float64) {
	if m == nil {
		return
	}
	if kind == "" {
		kind = "unknown"
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.duration.WithLabelValues(kind, outcome).Observe(seconds)
}

func (m *Metrics) flight(delta float64) {
	if m != nil {
		m.inFlight.Add(delta)
	}
}

func (m *Metrics) redelivery() {
	if m != nil {
		m.redelivered.Inc()
	}
}

func (m *Metrics) leaseWait() {
	if m != nil {
		m.leaseWaits.Inc()
	}
}

// spendTimeout bounds the ledger read of one scrape.
const spendTimeout = 5 * time.Second

// spendCollector is the gauge sindri_estimated_hourly_spend{repo,provider}: the estimated
// hourly cost of the running environments, read from the shared ledger at each scrape, so
// every executor reports the whole bus's spend (sum by provider or by repo in PromQL).
type spendCollector struct {
	ledger *cost.Ledger
	desc   *prometheus.Desc
}

// NewSpendCollector returns the spend gauge over ledger; register it with the executor's
// other metrics.
func NewSpendCollector(ledger *cost.Ledger) prometheus.Collector {
	return &spendCollector{ledger: ledger, desc: prometheus.NewDesc("sindri_estimated_hourly_spend",
		"Estimated hourly cost of the running environments, by repository and provider, in the price tables' currency (USD).",
		[]string{"repo", "provider"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *spendCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. A ledger that cannot be read yields no samples.
func (c *spendCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), spendTimeout)
	defer cancel()
	totals, err := c.ledger.Totals(ctx)
	if err != nil {
		return
	}
	for k, v := range totals {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, k[0], k[1])
	}
}
