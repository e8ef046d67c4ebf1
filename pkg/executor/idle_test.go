package executor_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestIdleTimeRecorded: each deploy records the environment's effective idle time, the
// shortest of the executor's, the repository's and the config's deployment.idle_stop; a
// config asking for longer gets the executor's and a warning in the job's log; a stop (no
// config) keeps what the deploy recorded.
func TestIdleTimeRecorded(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	cfg := testConfig(providertest.NewFake())
	cfg.Cost = &executor.CostConfig{Idle: cost.Idle{Executor: 2 * time.Hour, Repos: []cost.RepoIdle{{Pattern: "other/*", After: time.Minute}}}}
	runExecutor(t, b, cfg)
	ctx := context.Background()

	tests := []struct {
		name, idleKey string
		want          time.Duration
		warns         bool
	}{
		{"executor's", "", 2 * time.Hour, false},
		{"config shortens", "  idle_stop: 20m\n", 20 * time.Minute, false},
		{"config cannot lengthen", "  idle_stop: 3h\n", 2 * time.Hour, true},
	}
	for i, tt := range tests {
		env := "idle-" + string(rune('a'+i))
		j := newJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
		j.Config.Text = testConfigText + tt.idleKey
		b.publish(t, j)
		evs := b.follow(t, j.ID, 30*time.Second)
		wantTerminal(t, evs, events.TypeSucceeded)
		rec, _, err := b.envs.Get(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.IdleAfter(); got != tt.want {
			t.Errorf("%s: recorded idle time %v, want %v", tt.name, got, tt.want)
		}
		warned := false
		for _, ev := range evs {
			if l, ok := ev.Data.(*events.Log); ok && strings.Contains(l.Message, "cannot lengthen the executor's idle stop") {
				warned = true
			}
		}
		if warned != tt.warns {
			t.Errorf("%s: warning logged = %t, want %t", tt.name, warned, tt.warns)
		}
	}
	s := newJob(t, jobs.KindStop, "idle-b", b.bump(t, "idle-b", false))
	s.Config = jobs.ConfigBlob{}
	b.publish(t, s)
	wantTerminal(t, b.follow(t, s.ID, 30*time.Second), events.TypeSucceeded)
	if rec, _, _ := b.envs.Get(ctx, "idle-b"); rec.IdleAfter() != 20*time.Minute {
		t.Errorf("after a stop without config the idle time is %v, want the deploy's 20m", rec.IdleAfter())
	}
}

// counter is a providers.TrafficReporter whose count the test sets.
type counter struct {
	mu sync.Mutex
	rx uint64
}

func (c *counter) InboundBytes(context.Context, *providers.Spec) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rx, nil
}

func (c *counter) add(n uint64) { c.mu.Lock(); c.rx += n; c.mu.Unlock() }

// TestIdleRulesTraffic: on a provider that reports traffic, the first read after a job sets the
// baseline, a changed count is activity (the last activity moves, the environment is not due),
// and an unchanged one leaves it idle; the stop is then queued once, marked pending.
func TestIdleRulesTraffic(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	if _, _, err := b.envs.Update(ctx, "web", func(r *events.EnvRecord, _ bool) error {
		r.Provider, r.Repo, r.State, r.LastActivity = "counting", "acme/web", providers.StateRunning, t0
		r.DesiredGeneration, r.AppliedGeneration = 1, 1
		r.SetIdleAfter(30 * time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := &counter{rx: 100}
	rules := executor.IdleRules{
		Idle:    2 * time.Hour, // the record's 30m is shorter
		CanStop: func(string) bool { return true },
		Traffic: func(p string) providers.TrafficReporter {
			return map[string]providers.TrafficReporter{"counting": c}[p]
		},
		RequestedBy: "test",
	}
	get := func() *events.EnvRecord {
		t.Helper()
		rec, _, err := b.envs.Get(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	due := func(now time.Time) bool {
		t.Helper()
		d, err := rules.Due(ctx, b.envs, get(), now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if due(t0.Add(10 * time.Minute)) {
		t.Fatal("due before its idle time")
	}
	if got := get().TrafficRx; got != 100 { // the baseline
		t.Fatalf("baseline = %d, want 100", got)
	}
	c.add(executor.TrafficNoise - 1) // background: not traffic
	if !due(t0.Add(31*time.Minute)) || !get().LastActivity.Equal(t0) {
		t.Fatal("background bytes counted as traffic")
	}
	c.add(executor.TrafficNoise)
	if due(t0.Add(31 * time.Minute)) {
		t.Fatal("due although traffic came in")
	}
	if got, want := get().LastActivity, t0.Add(31*time.Minute); !got.Equal(want) {
		t.Fatalf("last activity = %v, want the pass that saw traffic (%v)", got, want)
	}
	if due(t0.Add(60 * time.Minute)) {
		t.Fatal("due 29 minutes after the traffic")
	}
	if !due(t0.Add(62 * time.Minute)) {
		t.Fatal("not due 31 minutes after the last traffic")
	}
	pub := events.NewPublisher(b.js)
	j, _, queued, err := rules.QueueIdleStop(ctx, b.envs, pub, get())
	if err != nil || !queued || j == nil || j.Kind != jobs.KindStop || j.Trigger != executor.TriggerIdle {
		t.Fatalf("QueueIdleStop = %+v, queued %t, %v; want a stop with trigger %s", j, queued, err, executor.TriggerIdle)
	}
	if !get().IdleStopPending() || due(t0.Add(63*time.Minute)) {
		t.Fatal("the queued stop is not pending, or the environment is due again")
	}
	if _, _, queued, err := rules.QueueIdleStop(ctx, b.envs, pub, get()); queued || err != nil {
		t.Fatalf("second QueueIdleStop queued %t (%v), want a duplicate", queued, err)
	}
}
