package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// activeRecord writes the record of an environment in state st whose last job was at last.
func activeRecord(t *testing.T, b *testBus, env, provider string, st providers.State, last time.Time) {
	t.Helper()
	if _, _, err := b.envs.Update(context.Background(), env, func(r *events.EnvRecord, _ bool) error {
		r.Provider, r.Repo, r.PR, r.State, r.LastActivity = provider, "sindri/demo", 3, st, last
		r.DesiredGeneration++
		r.AppliedGeneration = r.DesiredGeneration
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestIdleOnce: only a running environment idle for longer than the idle time, on a provider
// that can stop, gets a stop job; a second pass queues nothing and bumps nothing; a push after
// the stop was queued (a newer generation) makes it eligible again only once it idles again.
func TestIdleOnce(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	ctx := context.Background()
	now := time.Now()
	activeRecord(t, b, "idle", providertest.FakeName, providers.StateRunning, now.Add(-3*time.Hour))
	activeRecord(t, b, "busy", providertest.FakeName, providers.StateRunning, now.Add(-10*time.Minute))
	activeRecord(t, b, "stopped", providertest.FakeName, providers.StateStopped, now.Add(-3*time.Hour))
	activeRecord(t, b, "cannot-stop", "nostop", providers.StateRunning, now.Add(-3*time.Hour))
	rules := executor.IdleRules{Idle: 2 * time.Hour, CanStop: func(p string) bool { return p == providertest.FakeName }}
	pub := events.NewPublisher(b.js)

	n, err := idleOnce(ctx, b.envs, pub, now, rules, zerolog.Nop())
	if err != nil || n != 1 {
		t.Fatalf("first pass queued %d (%v), want 1 (idle)", n, err)
	}
	rec, _, _ := b.envs.Get(ctx, "idle")
	if !rec.IdleStopPending() {
		t.Fatalf("idle record %+v: stop not marked pending", rec)
	}
	gen := rec.DesiredGeneration
	if n, _ := idleOnce(ctx, b.envs, pub, now.Add(time.Minute), rules, zerolog.Nop()); n != 0 {
		t.Errorf("second pass queued %d, want 0 (pending)", n)
	}
	if rec, _, _ := b.envs.Get(ctx, "idle"); rec.DesiredGeneration != gen {
		t.Errorf("second pass bumped the generation to %d, want %d", rec.DesiredGeneration, gen)
	}
	if got := queuedJobs(t, b); got != 1 {
		t.Errorf("SINDRI_JOBS holds %d jobs, want 1", got)
	}
}

// TestIdleStopEndToEnd: the executor's reaper stops an environment that saw no job for
// cost.idle_stop (stopped, not destroyed; its record says stopped and keeps its last activity),
// and the next push deploys it running again.
func TestIdleStopEndToEnd(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	cfgFile := filepath.Join(t.TempDir(), "executor.hcl")
	if err := os.WriteFile(cfgFile, []byte("cost {\n  idle_stop = \"1s\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := providertest.NewFake()
	env := map[string]string{"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_LOG_LEVEL": "warn", "SINDRI_REAPER_INTERVAL": "100ms"}
	var out lockedBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, []string{"-config", cfgFile}, func(k string) string { return env[k] }, &out, []providers.Provider{fake})
	}()
	t.Cleanup(func() { cancel(); <-done })

	const name = "pr-idle"
	j := makeJob(t, jobs.KindDeploy, name, b.bump(t, name, false))
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, 30*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("deploy ended %s\n%s", ev.Type, out.String())
	}
	deadline := time.Now().Add(30 * time.Second)
	for fake.CountOp(name, providertest.OpStop) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the idle environment was not stopped within 30s; executor output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitRecord := func(want providers.State) *events.EnvRecord {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); ; {
			rec, _, err := b.envs.Get(context.Background(), name)
			if err == nil && rec.State == want {
				return rec
			}
			if time.Now().After(end) {
				t.Fatalf("record state = %v (%v), want %s", rec, err, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rec := waitRecord(providers.StateStopped)
	if st, ok, _ := fake.Env(name); !ok || st.State != providers.StateStopped {
		t.Fatalf("fake environment = %+v (exists %t), want stopped, not destroyed", st, ok)
	}
	if fake.CountOp(name, providertest.OpDestroy) != 0 {
		t.Fatal("idle stop destroyed the environment")
	}
	if rec.IdleStopFor.IsZero() || !rec.LastActivity.Equal(rec.IdleStopFor) {
		t.Errorf("record %+v: the idle stop moved the last activity", rec)
	}
	push := makeJob(t, jobs.KindDeploy, name, b.bump(t, name, false))
	b.publish(t, push)
	if ev := b.terminal(t, push.ID, 30*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("push after idle stop ended %s\n%s", ev.Type, out.String())
	}
	// The push resumed it; with a 1 s idle time the reaper may already have stopped it again,
	// which then shows as a second stop.
	if st, _, _ := fake.Env(name); st.State != providers.StateRunning && fake.CountOp(name, providertest.OpStop) < 2 {
		t.Fatalf("after the push the environment is %s, want running", st.State)
	}
}
