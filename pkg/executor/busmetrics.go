package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sindri/deploy/v3/pkg/events"
)

// queueInfoTimeout bounds the consumer look-ups of one scrape.
const queueInfoTimeout = 2 * time.Second

// RegisterConnMetrics registers, with reg, the state of the executor's NATS connection:
// sindri_executor_nats_connected (1 while connected) and sindri_executor_nats_reconnects_total.
// It returns the registration error.
func RegisterConnMetrics(reg prometheus.Registerer, nc *nats.Conn) error {
	connected := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "sindri", Subsystem: "executor", Name: "nats_connected",
		Help: "1 while the executor's NATS connection is connected, else 0 (reconnecting, closed).",
	}, func() float64 {
		if nc.IsConnected() {
			return 1
		}
		return 0
	})
	reconnects := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "sindri", Subsystem: "executor", Name: "nats_reconnects_total",
		Help: "Times the executor's NATS connection reconnected.",
	}, func() float64 { return float64(nc.Stats().Reconnects) })
	return errors.Join(reg.Register(connected), reg.Register(reconnects))
}

// queueCollector reports, at each scrape, the job queue of each provider the executor serves,
// from its durable consumer: jobs not delivered yet and jobs delivered but not finished.
type queueCollector struct {
	js        jetstream.StreamConsumerManager
	providers []string
	pending   *prometheus.Desc
	unacked   *prometheus.Desc
	failed    *prometheus.Desc
}

// RegisterQueueMetrics registers, with reg, sindri_jobs_pending{provider} (jobs waiting in the
// provider's queue, not yet delivered to any executor) and sindri_jobs_unacked{provider}
// (delivered, not yet finished: running, or waiting for a lease). Both are read from the bus
// at each scrape, so every executor reports the same values: aggregate them with max, not sum.
// A provider whose consumer cannot be read is left out of the scrape and counted in
// sindri_jobs_queue_errors. It returns the registration error.
func RegisterQueueMetrics(reg prometheus.Registerer, js jetstream.StreamConsumerManager, providers []string) error {
	return reg.Register(&queueCollector{
		js: js, providers: providers,
		pending: prometheus.NewDesc("sindri_jobs_pending",
			"Jobs waiting in a provider's queue, not yet delivered to an executor.", []string{"provider"}, nil),
		unacked: prometheus.NewDesc("sindri_jobs_unacked",
			"Jobs delivered to an executor and not finished yet (running, or waiting for a lease).", []string{"provider"}, nil),
		failed: prometheus.NewDesc("sindri_jobs_queue_errors",
			"Providers whose queue could not be read in this scrape.", nil, nil),
	})
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.pending
	ch <- q.unacked
	ch <- q.failed
}

// Collect reads the consumers under its own timeout: the Collector interface carries no ctx.
func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueInfoTimeout)
	defer cancel()
	failed := 0
	for _, p := range q.providers {
		c, err := q.js.Consumer(ctx, events.JobsStream, ConsumerPrefix+p)
		if err != nil {
			failed++
			continue
		}
		info, err := c.Info(ctx)
		if err != nil {
			failed++
			continue
		}
		ch <- prometheus.MustNewConstMetric(q.pending, prometheus.GaugeValue, float64(info.NumPending), p)
		ch <- prometheus.MustNewConstMetric(q.unacked, prometheus.GaugeValue, float64(info.NumAckPending), p)
	}
	ch <- prometheus.MustNewConstMetric(q.failed, prometheus.GaugeValue, float64(failed))
}

// EnvStates keeps sindri_environments{provider,state}, the number of environments per
// provider and state, from the environment records (KV sindri_envs), which it watches.
type EnvStates struct {
	gauge *prometheus.GaugeVec
	mu    sync.Mutex
	byEnv map[string][2]string // env -> {provider, state}
	count map[[2]string]int
}

// NewEnvStates creates the gauge and registers it with reg. It returns the registration error.
func NewEnvStates(reg prometheus.Registerer) (*EnvStates, error) {
	s := &EnvStates{
		gauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sindri_environments",
			Help: "Environments by provider and last observed state, from the environment records. Every executor reports the same values: aggregate with max.",
		}, []string{"provider", "state"}),
		byEnv: map[string][2]string{},
		count: map[[2]string]int{},
	}
	return s, reg.Register(s.gauge)
}

// Watch follows the records until ctx ends, and returns nil then. It returns the error of
// opening the bucket or starting the watch. A record that does not decode counts under state
// "unreadable".
func (s *EnvStates) Watch(ctx context.Context, js jetstream.KeyValueManager) error {
	kv, err := js.KeyValue(ctx, events.EnvsBucket)
	if err != nil {
		return fmt.Errorf("environment states: open %s: %w", events.EnvsBucket, err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("environment states: watch %s: %w", events.EnvsBucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e != nil { // nil marks the end of the initial values
				s.apply(e)
			}
		}
	}
}

func (s *EnvStates) apply(e jetstream.KeyValueEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byEnv[e.Key()]; ok {
		s.count[old]--
		s.gauge.WithLabelValues(old[0], old[1]).Set(float64(s.count[old]))
		delete(s.byEnv, e.Key())
	}
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	k := [2]string{"unknown", "unreadable"}
	var rec events.EnvRecord
	if json.Unmarshal(e.Value(), &rec) == nil {
		k = [2]string{rec.Provider, rec.State.String()}
		if k[0] == "" {
			k[0] = "unknown"
		}
	}
	s.byEnv[e.Key()] = k
	s.count[k]++
	s.gauge.WithLabelValues(k[0], k[1]).Set(float64(s.count[k]))
}
