package executor_test

import (
	"context"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

const e2bConfigText = "version: \"3.0\"\nname: conf\ndeployment:\n  provider: e2b\n  image: ghcr.io/sindri/test:1\nproviders:\n  e2b:\n    timeout: 600\n"

// TestIdleE2BPauseAndKeepAlive: against the E2B fake, the sandbox's timeout is extended
// (POST /timeout) while the environment is not idle and never once it is idle; the idle stop
// is a pause (the sandbox stays, paused), and the record says stopped.
func TestIdleE2BPauseAndKeepAlive(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	const key = "e2b_idle_key"
	f := e2btest.New(t, key)
	p, err := e2b.New(e2b.Config{APIURL: f.URL(), APIKey: key, HTTPClient: f.API.Client(),
		PollInterval: 2 * time.Millisecond, StableFor: 5 * time.Millisecond, DefaultTimeout: 20 * time.Second, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(providertest.NewFake())
	cfg.Registry = &reg
	cfg.LeaseTTL, cfg.AckWait = 10*time.Second, 30*time.Second
	cfg.Cost = &executor.CostConfig{Idle: cost.Idle{Executor: time.Hour}}
	runExecutor(t, b, cfg)
	ctx := context.Background()

	const env = "pr-e2b"
	j, err := jobs.New(jobs.KindDeploy, env, e2b.Name)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation, j.Repo, j.PR = b.bump(t, env, false), "acme/web", 7
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: e2bConfigText}
	b.publish(t, j)
	wantTerminal(t, b.follow(t, j.ID, 30*time.Second), events.TypeSucceeded)
	ids := f.Sandboxes(env)
	if len(ids) != 1 {
		t.Fatalf("sandboxes of %s: %v, want 1", env, ids)
	}
	id := ids[0]
	rec, _, err := b.envs.Get(ctx, env)
	if err != nil || rec.IdleAfter() != time.Hour {
		t.Fatalf("record %+v (%v): want the executor's idle time recorded", rec, err)
	}
	rules := executor.IdleRules{Idle: time.Hour, RequestedBy: "test",
		CanStop:  func(string) bool { return true },
		Extender: func(string) providers.TimeoutExtender { return p }}
	end := func() time.Time {
		sb, ok := f.Sandbox(id)
		if !ok {
			t.Fatalf("sandbox %s is gone", id)
		}
		return sb.EndAt
	}

	// Not idle, a minute left of 10: extended to about 10 minutes from now.
	f.EndIn(id, time.Minute)
	if due, err := rules.Due(ctx, b.envs, rec, time.Now()); due || err != nil {
		t.Fatalf("Due = %t, %v; want not due", due, err)
	}
	if left := time.Until(end()); left < 9*time.Minute {
		t.Fatalf("after the keep-alive %s is left, want about 10m (extended)", left)
	}
	// Idle: due, and not extended.
	f.EndIn(id, time.Minute)
	if due, err := rules.Due(ctx, b.envs, rec, rec.LastActivity.Add(2*time.Hour)); !due || err != nil {
		t.Fatalf("Due = %t, %v; want due", due, err)
	}
	if left := time.Until(end()); left > 2*time.Minute {
		t.Fatalf("an idle sandbox was extended: %s left", left)
	}

	stop, seq, queued, err := rules.QueueIdleStop(ctx, b.envs, events.NewPublisher(b.js), rec)
	if err != nil || !queued || seq == 0 {
		t.Fatalf("QueueIdleStop: queued %t, %v", queued, err)
	}
	wantTerminal(t, b.follow(t, stop.ID, 30*time.Second), events.TypeSucceeded)
	if sb, ok := f.Sandbox(id); !ok || sb.State != "paused" {
		t.Fatalf("after the idle stop the sandbox is %+v (exists %t), want paused", sb, ok)
	}
	if rec, _, _ := b.envs.Get(ctx, env); rec.State != providers.StatePaused || rec.IdleStopFor.IsZero() {
		t.Fatalf("record after the idle stop: %+v, want paused by the idle stop", rec)
	}
	// A keep-alive never resumes a paused sandbox.
	if until, err := p.ExtendTimeout(ctx, &providers.Spec{Env: env, Labels: map[string]string{providers.LabelEnv: env, providers.LabelRepo: "acme/web"}}); err != nil || !until.IsZero() {
		t.Fatalf("ExtendTimeout on the paused sandbox = %v, %v; want zero, nil", until, err)
	}
	if sb, _ := f.Sandbox(id); sb.State != "paused" {
		t.Fatalf("the keep-alive resumed the sandbox (%s)", sb.State)
	}
}
