package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
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
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, nil, func(k string) string { return env[k] }, pw, []providers.Provider{fake})
		pw.Close()
	}()
	addr := make(chan string, 1)
	var logLines []string
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var l struct {
				Msg  string `json:"message"`
				Addr string `json:"addr"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("log line is not JSON: %q", sc.Text())
			}
			if l.Msg == "metrics listening" {
				addr <- l.Addr
			}
			logLines = append(logLines, sc.Text())
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("no metrics listener within 60s")
	}
	// waitUntil polls until ok or fails the test after a minute (instead of hanging the
	// package until the go test timeout).
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within a minute", what)
			}
		}
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
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
	want := `sindri_executor_jobs_total{kind="deploy",outcome="succeeded"} 1`
	waitUntil("/metrics counting the job", func() bool { _, body := get("/metrics"); return strings.Contains(body, want) })
	_, body := get("/metrics")
	for _, name := range []string{"sindri_executor_job_duration_seconds", "sindri_executor_jobs_in_flight", "sindri_executor_redeliveries_total", "sindri_executor_lease_waits_total", "process_resident_memory_bytes"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v, want nil (drained)", err)
	}
	<-logsDone
	if !strings.Contains(strings.Join(logLines, "\n"), "drained; exiting") {
		t.Errorf("no drain log line in:\n%s", strings.Join(logLines, "\n"))
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
