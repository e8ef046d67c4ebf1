package executor_test

import (
	"context"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

const flyConfigText = "version: \"3.0\"\nname: conf\ndeployment:\n  provider: fly\n  image: registry.example/sindri:1\nproviders:\n  fly:\n    region: sjc\n"

// flyExecutorConfig serves fly against fake f with cc as the cost config.
func flyExecutorConfig(t *testing.T, f *flytest.Fake, cc *executor.CostConfig) executor.Config {
	t.Helper()
	p, err := fly.New(fly.Config{APIURL: f.URL, Token: f.Token(), HTTPClient: f.Client(),
		PollInterval: 5 * time.Millisecond, AppVisible: 5 * time.Second, VolumeUnbind: 5 * time.Second,
		AppGone: 5 * time.Second, BackoffBase: 5 * time.Millisecond, Timeout: 20 * time.Second})
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
	cfg.Cost = cc
	return cfg
}

func flyJob(t *testing.T, b *bus, kind jobs.Kind, env string) *jobs.Job {
	t.Helper()
	j, err := jobs.New(kind, env, fly.Name)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation = b.bump(t, env, kind == jobs.KindDestroy)
	j.Repo, j.PR, j.Trigger = "acme/web", 7, "pull_request.synchronize"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: flyConfigText}
	return j
}

// flyHourly is the fly estimate of flyConfigText, from the provider's own Plan.
func flyHourly(t *testing.T, f *flytest.Fake) (running, stopped float64) {
	t.Helper()
	p, err := fly.New(fly.Config{APIURL: f.URL, Token: f.Token(), HTTPClient: f.Client(), Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, diags := config.Load("sindri.yaml", []byte(flyConfigText))
	if c == nil {
		t.Fatal(diags)
	}
	pl, err := p.Plan(context.Background(), &providers.Spec{Env: "price", Config: c, Image: c.Deployment.Image,
		Labels: map[string]string{providers.LabelEnv: "price", providers.LabelRepo: "acme/web"}})
	if err != nil {
		t.Fatal(err)
	}
	e := pl.EstimatedCost
	if e == nil || e.Hourly == nil || e.StoppedHourly == nil || *e.Hourly <= *e.StoppedHourly || *e.StoppedHourly <= 0 {
		t.Fatalf("fly estimate = %+v, want running > stopped > 0", e)
	}
	return *e.Hourly, *e.StoppedHourly
}

func failedWith(t *testing.T, evs []*events.Envelope, code events.FailCode) *events.Failed {
	t.Helper()
	f, ok := last(evs).Data.(*events.Failed)
	if !ok || f.Code != code {
		t.Fatalf("terminal event = %s %+v, want failed %s", last(evs).Type, last(evs).Data, code)
	}
	return f
}

// TestPolicyRefusesBeforeAnythingIsCreated: a fly deploy over the per-environment limit fails
// with code policy naming the limit and the value, and the fake saw no mutating request; a
// destroy of the same environment still runs.
func TestPolicyRefusesBeforeAnythingIsCreated(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	f := flytest.New(t, flytest.Options{})
	hourly, _ := flyHourly(t, f)
	f.API.ResetCounts()
	cfg := flyExecutorConfig(t, f, &executor.CostConfig{Policy: cost.Policy{MaxHourlyPerEnv: hourly / 2}})
	runExecutor(t, b, cfg)

	j := flyJob(t, b, jobs.KindDeploy, "pr-7")
	b.publish(t, j)
	fe := failedWith(t, b.follow(t, j.ID, 30*time.Second), events.FailPolicy)
	for _, want := range []string{cost.LimitEnvHourly, "/h"} {
		if !strings.Contains(fe.Message, want) {
			t.Errorf("failed message %q does not name %q", fe.Message, want)
		}
	}
	for _, r := range f.API.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("policy refusal sent a mutating request: %s %s", r.Method, r.Path)
		}
	}
	d := flyJob(t, b, jobs.KindDestroy, "pr-7")
	b.publish(t, d)
	wantTerminal(t, b.follow(t, d.ID, 30*time.Second), events.TypeSucceeded)
}

// TestRepoLimitAcrossExecutors: two executors, each with its own ledger on the shared bucket,
// take two deploys of one repository that fit the limit one at a time but not together: one
// runs, the other is refused naming the repository limit. Destroying the running one frees
// the repository's share.
func TestRepoLimitAcrossExecutors(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	f := flytest.New(t, flytest.Options{})
	hourly, _ := flyHourly(t, f)
	for i := range 2 {
		led, err := cost.OpenLedger(context.Background(), b.js, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg := flyExecutorConfig(t, f, &executor.CostConfig{Ledger: led, Policy: cost.Policy{MaxHourlyPerRepo: hourly * 1.5}})
		cfg.Worker = "exec-" + string(rune('a'+i))
		runExecutor(t, b, cfg)
	}
	js := []*jobs.Job{flyJob(t, b, jobs.KindDeploy, "pr-1"), flyJob(t, b, jobs.KindDeploy, "pr-2")}
	var wg sync.WaitGroup
	results := make([][]*events.Envelope, 2)
	for i, j := range js {
		b.publish(t, j)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.follow(t, j.ID, 60*time.Second)
		}()
	}
	wg.Wait()
	var ok, refused []int
	for i, evs := range results {
		switch last(evs).Type {
		case events.TypeSucceeded:
			ok = append(ok, i)
		case events.TypeFailed:
			if fe := failedWith(t, evs, events.FailPolicy); !strings.Contains(fe.Message, cost.LimitRepoHourly) {
				t.Errorf("refusal %q does not name %s", fe.Message, cost.LimitRepoHourly)
			}
			refused = append(refused, i)
		}
	}
	if len(ok) != 1 || len(refused) != 1 {
		t.Fatalf("succeeded %v, refused %v; want one of each", ok, refused)
	}
	led, _ := cost.OpenLedger(context.Background(), b.js, 1)
	got, err := led.Repo(context.Background(), "acme/web")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[js[ok[0]].Env].Hourly != hourly {
		t.Fatalf("ledger = %+v, want only %s at %v", got, js[ok[0]].Env, hourly)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(executor.NewSpendCollector(led))
	if got := spendGauge(t, reg, "acme/web", fly.Name); got != hourly {
		t.Fatalf("sindri_estimated_hourly_spend{acme/web,fly} = %v, want %v", got, hourly)
	}
	d := flyJob(t, b, jobs.KindDestroy, js[ok[0]].Env)
	b.publish(t, d)
	wantTerminal(t, b.follow(t, d.ID, 30*time.Second), events.TypeSucceeded)
	if got := spendGauge(t, reg, "acme/web", fly.Name); got != 0 {
		t.Fatalf("spend gauge after destroy = %v, want 0", got)
	}
	if got, _ := led.Repo(context.Background(), "acme/web"); len(got) != 0 {
		t.Fatalf("ledger after destroy = %+v, want empty", got)
	}
}

// TestCostSoFarFlyFakeClock: against the Fly fake with a fake clock, an environment that ran
// two hours and was stopped ten costs exactly 2 × running + 10 × stopped rate, from the times
// the executor kept in its record.
func TestCostSoFarFlyFakeClock(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	f := flytest.New(t, flytest.Options{})
	running, stopped := flyHourly(t, f)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setClock := func(t time.Time) { mu.Lock(); defer mu.Unlock(); now = t }
	runExecutor(t, b, flyExecutorConfig(t, f, &executor.CostConfig{Now: clock}))

	j := flyJob(t, b, jobs.KindDeploy, "pr-9")
	b.publish(t, j)
	wantTerminal(t, b.follow(t, j.ID, 30*time.Second), events.TypeSucceeded)
	setClock(t0.Add(2 * time.Hour))
	s := flyJob(t, b, jobs.KindStop, "pr-9")
	b.publish(t, s)
	wantTerminal(t, b.follow(t, s.ID, 30*time.Second), events.TypeSucceeded)

	rec, _, err := b.envs.Get(context.Background(), "pr-9")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Usage == nil {
		t.Fatal("env record keeps no usage")
	}
	end := t0.Add(12 * time.Hour)
	r, st := rec.Usage.Times(end)
	if r != 2*time.Hour || st != 10*time.Hour {
		t.Fatalf("times = %s running, %s stopped; want 2h, 10h", r, st)
	}
	got, ok := rec.Usage.SoFar(end)
	want := math.Round((2*running+10*stopped)*100) / 100
	if !ok || got != want {
		t.Fatalf("cost so far = %v (known %t), want %v (2 h at %v + 10 h at %v)", got, ok, want, running, stopped)
	}
}

// spendGauge returns sindri_estimated_hourly_spend{repo,provider} (0 when absent).
func spendGauge(t *testing.T, reg *prometheus.Registry, repo, provider string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sindri_estimated_hourly_spend" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["repo"] == repo && l["provider"] == provider {
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

// TestPolicyProvidersPerRepository: a repository limited to other providers gets its deploy
// and its start refused (code policy, naming the limit) with the provider's only call the
// side-effect-free Plan, while stop and destroy of the same environment still run.
func TestPolicyProvidersPerRepository(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	cfg := testConfig(fake)
	cfg.Cost = &executor.CostConfig{Policy: cost.Policy{RepoProviders: []cost.RepoProviders{{Pattern: "sindri/*", Providers: []string{"docker"}}}}}
	runExecutor(t, b, cfg)
	const env = "pr-policy"
	for _, kind := range []jobs.Kind{jobs.KindDeploy, jobs.KindStart} {
		j := newJob(t, kind, env, b.bump(t, env, false))
		if kind == jobs.KindStart {
			j.Config = jobs.ConfigBlob{}
		}
		b.publish(t, j)
		fe := failedWith(t, b.follow(t, j.ID, 20*time.Second), events.FailPolicy)
		if !strings.Contains(fe.Message, cost.LimitProvider) || !strings.Contains(fe.Message, providertest.FakeName) {
			t.Errorf("%s refusal %q does not name the limit and the provider", kind, fe.Message)
		}
	}
	if n, plans := fake.Count(env), fake.CountOp(env, providertest.OpPlan); n != plans {
		t.Fatalf("the provider saw %d operations, %d of them plans; want plans only", n, plans)
	}
	for _, kind := range []jobs.Kind{jobs.KindStop, jobs.KindDestroy} {
		j := newJob(t, kind, env, b.bump(t, env, kind == jobs.KindDestroy))
		b.publish(t, j)
		evs := b.follow(t, j.ID, 20*time.Second)
		if f, ok := last(evs).Data.(*events.Failed); ok && f.Code == events.FailPolicy {
			t.Fatalf("%s was refused by the policy: %s", kind, f.Message)
		}
	}
	if fake.CountOp(env, providertest.OpDestroy) == 0 {
		t.Fatal("destroy did not reach the provider")
	}
}
