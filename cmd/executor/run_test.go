package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestRunServesJobsMetricsAndDrains runs the whole program in-process: config from env,
// ops endpoints, one job, then a drain on cancel.
func TestRunServesJobsMetricsAndDrains(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	fake := providertest.NewFake()
	env := map[string]string{
		"SINDRI_NATS_URL":       b.url,
		"SINDRI_PROVIDERS":      "fake",
		"SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_DRAIN_TIMEOUT":  "1s",
		"SINDRI_LOG_LEVEL":      "debug",
	}
	r := startRun(t, env, fake)
	waitUntil := func(what string, ok func() bool) { t.Helper(); r.waitUntil(t, what, ok) }
	get := func(path string) (int, string) { t.Helper(); return r.get(t, path) }
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	waitUntil("/readyz answering 200", func() bool { code, _ := get("/readyz"); return code == 200 })
	if _, body := get("/readyz"); body != "ready\nprovider fake: no readiness check\n" {
		t.Errorf("/readyz body = %q, want the bus's state and a line per provider", body)
	}
	j := makeJob(t, jobs.KindDeploy, "run-test", b.bump(t, "run-test", false))
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, 20*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("job ended %s: %s", ev.Type, dataJSON(ev))
	}
	want := `sindri_executor_jobs_total{kind="deploy",outcome="succeeded",provider="fake"} 1`
	waitUntil("/metrics counting the job", func() bool { _, body := get("/metrics"); return strings.Contains(body, want) })
	_, body := get("/metrics")
	for _, name := range []string{"sindri_executor_job_duration_seconds", "sindri_executor_jobs_in_flight", "sindri_executor_redeliveries_total", "sindri_executor_lease_waits_total", "process_resident_memory_bytes"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	logs := r.stop(t)
	if !strings.Contains(logs, "drained; exiting") {
		t.Errorf("no drain log line in:\n%s", logs)
	}
}

func TestRunRefusesUnknownProvider(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SINDRI_PROVIDERS": "nope"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("run = %v, want an error naming the unknown provider", err)
	}
}

// TestRunRefusesLeaseTTLAboveBucketTTL: the mistake is a configuration error (exit 2) that
// names the setting, not a silent loop of every mutating job.
func TestRunRefusesLeaseTTLAboveBucketTTL(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	env := map[string]string{"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0", "SINDRI_LEASE_TTL": "16m"}
	// Bounded: without the check the executor would start and serve until the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := runWith(ctx, nil, func(k string) string { return env[k] }, io.Discard, []providers.Provider{providertest.NewFake()})
	if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), "lease_ttl") {
		t.Fatalf("run = %v, want a configuration error naming lease_ttl", err)
	}
}
