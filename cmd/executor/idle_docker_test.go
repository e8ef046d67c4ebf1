package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// TestHeavyIdleTrafficDocker: the executor's reaper reads a real Docker environment's inbound
// traffic from the engine's stats and treats it like a push (the record's last activity moves
// while requests come in); once they stop, the environment is stopped after its idle time.
func TestHeavyIdleTrafficDocker(t *testing.T) {
	heavy(t)
	t.Parallel()
	if out, err := exec.Command("../../scripts/build-test-image.sh").CombinedOutput(); err != nil {
		t.Fatalf("build-test-image.sh: %v\n%s", err, out)
	}
	b := startTestBus(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "executor.hcl")
	if err := os.WriteFile(cfgFile, []byte("cost {\n  idle_stop = \"15s\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "docker", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_LOG_LEVEL": "warn", "SINDRI_REAPER_INTERVAL": "200ms", "DOCKER_HOST": os.Getenv("DOCKER_HOST"), "HOME": dir}
	out := runExecutorFile(t, cfgFile, env)

	const name = "idle-traffic"
	port := freePort(t)
	p, err := docker.New(docker.Config{Host: os.Getenv("DOCKER_HOST")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
		defer dcancel()
		_ = p.Destroy(dctx, &providers.Spec{Env: name, Labels: map[string]string{providers.LabelRepo: "sindri/demo"}})
		p.Close()
	})
	j, err := jobs.New(jobs.KindDeploy, name, docker.Name)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation, j.Repo, j.PR = b.bump(t, name, false), "sindri/demo", 1
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: fmt.Sprintf("version: \"3.0\"\nname: %s\ndeployment:\n  provider: docker\n  image: sindri-test/hello:1\nextensions:\n  profile: minimal\nproviders:\n  docker:\n    ports:\n      - \"%d:8080\"\n", name, port)}
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, 60*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("deploy ended %s %+v\n%s", ev.Type, ev.Data, out.String())
	}
	record := func() *events.EnvRecord {
		t.Helper()
		rec, _, err := b.envs.Get(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	deployed := record().LastActivity
	c := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); !record().LastActivity.After(deployed); {
		if resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port)); err == nil {
			resp.Body.Close()
		}
		if rec := record(); rec.State != providers.StateRunning || time.Now().After(deadline) {
			t.Fatalf("traffic did not move the last activity (record %+v)\n%s", rec, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	moved := record().LastActivity
	for deadline := time.Now().Add(90 * time.Second); record().State != providers.StateStopped; {
		if time.Now().After(deadline) {
			t.Fatalf("not stopped after the traffic ended (record %+v)\n%s", record(), out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rec := record(); rec.IdleStopFor.Before(moved) {
		t.Errorf("idle stop queued for activity %v, want the traffic's (%v or later)", rec.IdleStopFor, moved)
	}
}
