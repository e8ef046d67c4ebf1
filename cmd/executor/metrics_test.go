package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, r *inProcess) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := r.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

// value returns the value of the series of family name whose labels include want, and
// whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsAnOperatorCanAlertOn runs the executor in-process with one slow provider and
// concurrency 1, and reads /metrics through the Prometheus text parser while it works: the
// jobs by provider, the queue behind the running job, the environments per state from the
// env records, provider requests, the NATS connection across a server restart, and the drain
// log lines. Then every documented alert rule is checked against the metrics it really serves.
// Not parallel: provider requests reach the process-wide observer the run installs.
func TestMetricsAnOperatorCanAlertOn(t *testing.T) {
	b := startTestBus(t)
	fake := providertest.NewFake(providertest.WithStepDelay(300 * time.Millisecond))
	r := startRun(t, map[string]string{
		"SINDRI_NATS_URL":       b.url,
		"SINDRI_PROVIDERS":      "fake",
		"SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_CONCURRENCY":    "1",
		"SINDRI_DRAIN_TIMEOUT":  "5s",
	}, fake)
	r.waitUntil(t, "/readyz answering 200", func() bool { code, _ := r.get(t, "/readyz"); return code == 200 })

	var js []*jobs.Job
	for _, env := range []string{"metrics-a", "metrics-b", "metrics-c"} {
		j := makeJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
		b.publish(t, j)
		js = append(js, j)
	}
	fakeProv := map[string]string{"provider": providertest.FakeName}
	// One job runs (concurrency 1); the other two wait in the provider's queue.
	r.waitUntil(t, "one job in flight and two pending", func() bool {
		fams := scrape(t, r)
		running, _ := value(fams, "sindri_executor_jobs_in_flight", fakeProv)
		pending, _ := value(fams, "sindri_jobs_pending", fakeProv)
		unacked, _ := value(fams, "sindri_jobs_unacked", fakeProv)
		return running == 1 && pending == 2 && unacked == 1
	})
	for id, ev := range b.collectTerminals(t, js, time.Minute) {
		if ev.Type != events.TypeSucceeded {
			t.Fatalf("job %s ended %s: %s", id, ev.Type, dataJSON(ev))
		}
	}
	providers.ReportAPIRequest(providers.APIRequest{Provider: providertest.FakeName, Operation: "create machine", Status: "503"})

	// The terminal event goes out before the delivery's ack and count.
	r.waitUntil(t, "three counted jobs and three running environments", func() bool {
		fams := scrape(t, r)
		done, _ := value(fams, "sindri_executor_jobs_total", map[string]string{"provider": "fake", "outcome": "succeeded"})
		running, _ := value(fams, "sindri_executor_jobs_in_flight", fakeProv)
		n, _ := value(fams, "sindri_environments", map[string]string{"provider": "fake", "state": "running"})
		return done == 3 && running == 0 && n == 3
	})
	fams := scrape(t, r)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sindri_executor_jobs_total", map[string]string{"provider": "fake", "kind": "deploy", "outcome": "succeeded"}, 3},
		{"sindri_executor_job_duration_seconds", map[string]string{"provider": "fake", "kind": "deploy", "outcome": "succeeded"}, 3},
		{"sindri_executor_jobs_in_flight", fakeProv, 0},
		{"sindri_jobs_pending", fakeProv, 0},
		{"sindri_jobs_unacked", fakeProv, 0},
		{"sindri_jobs_queue_errors", nil, 0},
		{"sindri_executor_provider_requests_total", map[string]string{"provider": "fake", "operation": "create machine", "status": "503"}, 1},
		{"sindri_environments", map[string]string{"provider": "fake", "state": "running"}, 3},
		{"sindri_executor_nats_connected", nil, 1},
		{"sindri_executor_nats_reconnects_total", nil, 0},
		{"sindri_executor_redeliveries_total", fakeProv, 0},
		{"sindri_executor_lease_waits_total", fakeProv, 0},
	} {
		got, ok := value(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}

	// A destroy moves one environment out of "running".
	j := makeJob(t, jobs.KindDestroy, "metrics-a", b.bump(t, "metrics-a", true))
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, time.Minute); ev.Type != events.TypeSucceeded {
		t.Fatalf("destroy ended %s: %s", ev.Type, dataJSON(ev))
	}
	r.waitUntil(t, "two running environments after a destroy", func() bool {
		n, _ := value(scrape(t, r), "sindri_environments", map[string]string{"provider": "fake", "state": "running"})
		return n == 2
	})

	// The server restarts: the connection gauge and the reconnect counter follow.
	if err := b.emb.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.waitUntil(t, "a counted reconnect", func() bool {
		fams := scrape(t, r)
		n, _ := value(fams, "sindri_executor_nats_reconnects_total", nil)
		up, _ := value(fams, "sindri_executor_nats_connected", nil)
		return n == 1 && up == 1
	})

	t.Run("alert rules name served metrics", func(t *testing.T) {
		fams := scrape(t, r)
		for _, rule := range loadAlertRules(t) {
			if problems := checkPromQL(rule.Expr, fams); len(problems) > 0 {
				t.Errorf("alert %s: %s", rule.Alert, strings.Join(problems, "; "))
			}
			if rule.For != "" && !promDuration.MatchString(rule.For) {
				t.Errorf("alert %s: for %q is not a duration", rule.Alert, rule.For)
			}
			if rule.Annotations["summary"] == "" || rule.Labels["severity"] == "" {
				t.Errorf("alert %s lacks a summary or a severity", rule.Alert)
			}
		}
	})

	logs := r.stop(t)
	if strings.Count(logs, "drain started") != 1 || strings.Count(logs, "drain finished") != 1 {
		t.Errorf("want one drain started and one drain finished line in:\n%s", logs)
	}
}
