package executor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/providers"
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
	inFlight    *prometheus.GaugeVec
	redelivered *prometheus.CounterVec
	leaseWaits  *prometheus.CounterVec
	requests    *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (nil: not registered).
// It returns the registration error, e.g. when reg already holds collectors of these names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "jobs_total",
			Help: "Job deliveries handled, by provider, job kind and outcome.",
		}, []string{"provider", "kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "job_duration_seconds",
			Help:    "Time from delivery to the ack decision, by provider, job kind and outcome.",
			Buckets: []float64{.005, .01, .05, .1, .5, 1, 5, 15, 60, 300, 900, 1800},
		}, []string{"provider", "kind", "outcome"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "jobs_in_flight",
			Help: "Jobs being handled now, by provider.",
		}, []string{"provider"}),
		redelivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "redeliveries_total",
			Help: "Deliveries of a job that had been delivered before, by provider.",
		}, []string{"provider"}),
		leaseWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "lease_waits_total",
			Help: "Jobs handed back because another job held the environment's lease, by provider.",
		}, []string{"provider"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sindri", Subsystem: "executor", Name: "provider_requests_total",
			Help: "Requests providers made to their platforms (HTTP attempts, tool runs), by provider, operation and status.",
		}, []string{"provider", "operation", "status"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.jobs, m.duration, m.inFlight, m.redelivered, m.leaseWaits, m.requests} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) observe(provider, kind, outcome string, seconds float64) {
	if m == nil {
		return
	}
	if kind == "" {
		kind = "unknown"
	}
	m.jobs.WithLabelValues(provider, kind, outcome).Inc()
	m.duration.WithLabelValues(provider, kind, outcome).Observe(seconds)
}

func (m *Metrics) flight(provider string, delta float64) {
	if m != nil {
		m.inFlight.WithLabelValues(provider).Add(delta)
	}
}

// ObserveRequest counts one provider request; pass it to providers.ObserveRequests so the
// REST and CLI kits' requests reach provider_requests_total.
func (m *Metrics) ObserveRequest(r providers.APIRequest) {
	if m != nil {
		m.requests.WithLabelValues(r.Provider, r.Operation, r.Status).Inc()
	}
}

func (m *Metrics) redelivery(provider string) {
	if m != nil {
		m.redelivered.WithLabelValues(provider).Inc()
	}
}

func (m *Metrics) leaseWait(provider string) {
	if m != nil {
		m.leaseWaits.WithLabelValues(provider).Inc()
	}
}

// ServeProvider makes every per-provider series of provider exist at zero before its first
// job, so that rates and alerts see it from the start instead of from its first event.
func (m *Metrics) ServeProvider(provider string) {
	if m == nil {
		return
	}
	m.inFlight.WithLabelValues(provider)
	m.redelivered.WithLabelValues(provider)
	m.leaseWaits.WithLabelValues(provider)
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
