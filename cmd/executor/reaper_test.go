package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// deployedRecord writes the record of a deployed environment that expired at exp.
func deployedRecord(t *testing.T, b *testBus, env, provider string, exp time.Time, closed bool) {
	t.Helper()
	if _, _, err := b.envs.Update(context.Background(), env, func(r *events.EnvRecord, _ bool) error {
		r.Provider, r.Repo, r.PR, r.State, r.ExpiresAt = provider, "sindri/demo", 3, providers.StateRunning, exp
		r.DesiredGeneration++
		r.AppliedGeneration = r.DesiredGeneration
		r.Closed = closed
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func queuedJobs(t *testing.T, b *testBus) uint64 {
	t.Helper()
	st, err := b.js.Stream(context.Background(), events.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestReapOnce: an expired open environment is reaped without being closed (its PR's next
// push deploys again); a closed one stays closed; a second pass neither bumps nor queues
// again; one environment's failure does not stop the others.
func TestReapOnce(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	ctx := context.Background()
	now := time.Now()
	exp := now.Add(-time.Minute)
	deployedRecord(t, b, "a-broken", "no.such/provider", exp, false) // sorts first; cannot be queued
	deployedRecord(t, b, "open-pr", providertest.FakeName, exp, false)
	deployedRecord(t, b, "closed-pr", providertest.FakeName, exp, true)
	deployedRecord(t, b, "fresh", providertest.FakeName, now.Add(time.Hour), false)
	pub := events.NewPublisher(b.js)

	n, err := reapOnce(ctx, b.envs, pub, now, zerolog.Nop())
	if n != 2 {
		t.Errorf("first pass queued %d, want 2 (open-pr, closed-pr)", n)
	}
	if err == nil || !strings.Contains(err.Error(), "a-broken") {
		t.Errorf("first pass error = %v, want one naming a-broken", err)
	}
	if got := queuedJobs(t, b); got != 2 {
		t.Errorf("SINDRI_JOBS holds %d jobs, want 2", got)
	}
	gens := map[string]uint64{}
	for env, wantClosed := range map[string]bool{"open-pr": false, "closed-pr": true} {
		rec, _, err := b.envs.Get(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Closed != wantClosed {
			t.Errorf("%s: closed = %v after the reaper queued its reap, want %v", env, rec.Closed, wantClosed)
		}
		gens[env] = rec.DesiredGeneration
	}

	n, _ = reapOnce(ctx, b.envs, pub, now.Add(time.Minute), zerolog.Nop())
	if n != 0 {
		t.Errorf("second pass queued %d, want 0 (reaps pending)", n)
	}
	if got := queuedJobs(t, b); got != 2 {
		t.Errorf("SINDRI_JOBS holds %d jobs after the second pass, want 2", got)
	}
	for env, g := range gens {
		rec, _, _ := b.envs.Get(ctx, env)
		if rec.DesiredGeneration != g {
			t.Errorf("%s: desired generation %d after the second pass, want %d (no re-bump)", env, rec.DesiredGeneration, g)
		}
	}
	// The open PR's next push is accepted.
	if _, err := b.envs.BumpDesired(ctx, "open-pr", false); errors.Is(err, events.ErrEnvClosed) || err != nil {
		t.Errorf("push after a reap: BumpDesired = %v, want success", err)
	}
}

// With trusted_signers, the reaper signs its jobs with signing_key_file, and executors that run
// only signed jobs reap the expired environment.
func TestReaperSignsItsJobs(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	kp, err := loadSigningKey("testdata/signing.nk")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	deployedRecord(t, b, "expired", providertest.FakeName, time.Now().Add(-time.Minute), false)
	fake := providertest.NewFake()
	env := map[string]string{"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_LOG_LEVEL": "warn", "SINDRI_TRUSTED_SIGNERS": pub, "SINDRI_SIGNING_KEY_FILE": "testdata/signing.nk",
		"SINDRI_REAPER_INTERVAL": "100ms"}
	var out lockedBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, nil, func(k string) string { return env[k] }, &out, []providers.Provider{fake})
	}()
	t.Cleanup(func() { cancel(); <-done })

	deadline := time.Now().Add(60 * time.Second)
	for fake.CountOp("expired", providertest.OpDestroy) == 0 {
		select {
		case err := <-done:
			t.Fatalf("executor exited: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the expired environment was not reaped within 60s; executor output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(out.String(), "unauthorized") {
		t.Errorf("a job was refused as unauthorized:\n%s", out.String())
	}
}
