package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

const testConfig = `version: "3.0"
name: preview
deployment:
  provider: docker
  image: sindri-test/hello:1
extensions:
  profile: minimal
secrets:
  - name: CANARY_TOKEN
    source: env
`

const canary = "canary-7f3a9e21-do-not-print"

// lister is a Fake that can also list environments with labels, as a real provider does.
type lister struct {
	*providertest.Fake
	managed []providers.Managed
}

func (l *lister) List(context.Context) ([]providers.Managed, error) { return l.managed, nil }

// harness is one shared embedded bus (kept across invocations, as an external NATS would be)
// with an in-process executor serving a Fake provider.
type harness struct {
	t      *testing.T
	fake   *providertest.Fake
	reg    *providers.Registry
	bus    *Bus
	opened atomic.Int32
	dir    string
	out    bytes.Buffer
	// received are the secrets the provider saw in its last Spec.
	received atomic.Value
	// execReg serves the in-process executor; fresh buses are opened with it.
	execReg *providers.Registry
	// fresh makes every GitHub invocation open its own embedded bus, as the embedded default
	// does on a fresh runner (nothing remembered between workflow runs).
	fresh bool
	// external makes the shared bus look like a NATS deployment (wait: false is honoured).
	external bool
	// progressFailure makes the next deploys send progress only and then fail permanently.
	progressFailure atomic.Bool
	// ctx, when set, is the context runGitHub runs with.
	ctx context.Context
	// onDeploy, when set before the runs, is called as each deploy reaches the provider.
	onDeploy func()
}

// spy is the harness's provider: it runs the deploy hooks of the harness around the Fake.
type spy struct {
	providers.Provider
	h *harness
}

func (s spy) Deploy(ctx context.Context, sp *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if s.h.onDeploy != nil {
		s.h.onDeploy()
	}
	if s.h.progressFailure.Load() {
		r.Progress("resolve image sindri-test/missing:0", 1, 3)
		r.Progress("image not present on the engine", 1, 3)
		return nil, errors.New("image sindri-test/missing:0 is not present")
	}
	return s.Provider.Deploy(ctx, sp, r)
}

func newHarness(t *testing.T, managed ...providers.Managed) *harness {
	t.Helper()
	return newHarnessWith(t, nil, managed...)
}

// newHarnessWith is newHarness with extra providers served beside the Fake.
func newHarnessWith(t *testing.T, extra []providers.Provider, managed ...providers.Managed) *harness {
	t.Helper()
	h := &harness{t: t, fake: providertest.NewFake(), dir: t.TempDir()}
	lp := &lister{Fake: h.fake, managed: managed}
	h.reg = &providers.Registry{}
	if err := h.reg.Register(lp); err != nil {
		t.Fatal(err)
	}
	execReg := &providers.Registry{}
	if err := execReg.Register(spy{Provider: lp, h: h}); err != nil {
		t.Fatal(err)
	}
	for _, p := range extra {
		if err := h.reg.Register(p); err != nil {
			t.Fatal(err)
		}
		if err := execReg.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	h.execReg = execReg
	ctx := context.Background()
	open := EmbeddedOpener(EmbeddedConfig{Registry: execReg})
	bus, err := open(ctx, []secrets.Resolved{{Name: "CANARY_TOKEN", Value: secrets.New(canary)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	h.bus = bus
	if err := os.WriteFile(filepath.Join(h.dir, "sindri.yaml"), []byte(testConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// run carries out one invocation of intent on the shared bus and returns its exit code.
func (h *harness) run(it action.Intent, mutate ...func(*Request)) int {
	h.t.Helper()
	req := Request{
		Intent:    it,
		Inputs:    action.Inputs{Config: "sindri.yaml", Provider: providertest.FakeName, Wait: true, Timeout: time.Minute},
		Workspace: h.dir,
		LookupEnv: func(k string) (string, bool) {
			if k == "CANARY_TOKEN" {
				return canary, true
			}
			return "", false
		},
		Delivery: "run/1/" + strconv.Itoa(int(h.opened.Load())),
	}
	for _, m := range mutate {
		m(&req)
	}
	deps := Deps{
		Out:      &ConsoleOutput{W: &h.out},
		Registry: h.reg,
		OpenBus: func(context.Context, []secrets.Resolved) (*Bus, error) {
			h.opened.Add(1)
			return &Bus{JS: h.bus.JS, Envs: h.bus.Envs, Embedded: true}, nil
		},
	}
	return Run(context.Background(), req, deps)
}

func prIntent(kind action.Kind, trigger string) action.Intent {
	return action.Intent{Kind: kind, Trigger: trigger, Repo: "acme/app", Owner: "acme", Name: "app", PR: 7,
		SHA: strings.Repeat("a", 40), Ref: "refs/pull/7/head", Branch: "feature", Actor: "octo"}
}

func TestRunDeployThenDestroy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code := h.run(prIntent(action.KindDeploy, "pull_request.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	st, ok, err := h.fake.Env("preview-pr-7")
	if err != nil || !ok || st.State != providers.StateRunning {
		t.Fatalf("env after deploy: %+v ok=%v err=%v\n%s", st, ok, err, h.out.String())
	}
	seen := h.fake.SecretsSeen()
	var got []providers.SecretValue
	if len(seen) > 0 {
		got = seen[len(seen)-1]
	}
	if len(got) != 1 || got[0].Value.Reveal() != canary {
		t.Errorf("provider got secrets %v, want CANARY_TOKEN", got)
	}
	for _, want := range []string{"status=ready", "environment=preview-pr-7", "Ready `preview-pr-7`"} {
		if !strings.Contains(h.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, h.out.String())
		}
	}
	if code := h.run(prIntent(action.KindDestroy, "pull_request.closed")); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env("preview-pr-7"); ok {
		t.Error("environment still exists after destroy")
	}
	if strings.Contains(h.out.String(), canary) {
		t.Error("the canary secret appeared in the output")
	}
}

func TestRunCloseWinsOverLateDeploy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code := h.run(prIntent(action.KindDestroy, "pull_request.closed")); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	before := h.fake.Count("preview-pr-7")
	if code := h.run(prIntent(action.KindDeploy, "pull_request.synchronize")); code != ExitOK {
		t.Fatalf("late deploy exit %d, want 0 (skipped)\n%s", code, h.out.String())
	}
	if !strings.Contains(h.out.String(), "close wins") {
		t.Errorf("no close-wins notice:\n%s", h.out.String())
	}
	if n := h.fake.Count("preview-pr-7"); n != before {
		t.Errorf("late deploy reached the provider (%d ops, before %d)", n, before)
	}
	// Reopening the PR deploys again.
	if code := h.run(prIntent(action.KindDeploy, "pull_request.reopened")); code != ExitOK {
		t.Fatalf("reopen deploy exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env("preview-pr-7"); !ok {
		t.Error("reopened PR has no environment")
	}
}

func TestRunInvalidConfigPublishesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bad := strings.Replace(testConfig, "profile: minimal", "profile: minimal\n  bogus: 1", 1)
	bad = strings.Replace(bad, "image: sindri-test/hello:1", "image: sindri-test/hello:1\n  resources:\n    memory: lots", 1)
	if err := os.WriteFile(filepath.Join(h.dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code := h.run(prIntent(action.KindDeploy, "pull_request.opened"), func(r *Request) { r.Inputs.Config = "bad.yaml" })
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d", code, ExitFailed)
	}
	if h.opened.Load() != 0 {
		t.Error("the bus was opened for an invalid config")
	}
	out := h.out.String()
	if !strings.Contains(out, "bad.yaml:7:13: error: deployment.resources.memory") {
		t.Errorf("no positioned error for memory:\n%s", out)
	}
	if !strings.Contains(out, "nothing was published") {
		t.Errorf("no 'nothing was published':\n%s", out)
	}
}

func TestRunMissingRequiredSecretPublishesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := strings.Replace(testConfig, "source: env", "source: env\n    required: true", 1)
	if err := os.WriteFile(filepath.Join(h.dir, "sindri.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code := h.run(prIntent(action.KindDeploy, "pull_request.opened"), func(r *Request) {
		r.LookupEnv = func(string) (string, bool) { return "", false }
	})
	if code != ExitFailed || h.opened.Load() != 0 {
		t.Fatalf("exit %d, bus opened %d times; want failure before publishing\n%s", code, h.opened.Load(), h.out.String())
	}
	if !strings.Contains(h.out.String(), "CANARY_TOKEN") {
		t.Errorf("error does not name the secret:\n%s", h.out.String())
	}
}

func TestRunReapFindsExpiredByLabels(t *testing.T) {
	t.Parallel()
	past := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	h := newHarness(t,
		providers.Managed{Env: "old-env", State: providers.StateRunning, Labels: map[string]string{providers.LabelExpiresAt: past}},
		providers.Managed{Env: "young-env", State: providers.StateRunning, Labels: map[string]string{providers.LabelExpiresAt: future}},
	)
	// Both exist on the platform (deployed by earlier, forgotten runs).
	for _, env := range []string{"old-env", "young-env"} {
		s := &providers.Spec{Env: env, Labels: map[string]string{providers.LabelEnv: env}}
		if _, err := h.fake.Deploy(context.Background(), s, providers.NopReporter{}); err != nil {
			t.Fatal(err)
		}
	}
	it := action.Intent{Kind: action.KindReap, Trigger: "schedule", Repo: "acme/app", Owner: "acme", Name: "app"}
	if code := h.run(it); code != ExitOK {
		t.Fatalf("reap exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env("old-env"); ok {
		t.Errorf("expired env not reaped\n%s", h.out.String())
	}
	if _, ok, _ := h.fake.Env("young-env"); !ok {
		t.Error("unexpired env was reaped")
	}
	rec, _, err := h.bus.Envs.Get(context.Background(), "old-env")
	if err != nil || rec.State != providers.StateNotDeployed {
		t.Errorf("old-env record after reap: %+v, %v", rec, err)
	}
}

func TestRunSkipAndRefuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code := h.run(action.Intent{Kind: action.KindSkip, Reason: "pull_request.labeled is not handled"}); code != ExitOK {
		t.Fatalf("skip exit %d", code)
	}
	if code := h.run(action.Intent{Kind: action.KindRefuse, Reason: "fork pull requests are refused"}); code != ExitOK {
		t.Fatalf("refuse exit %d", code)
	}
	if h.opened.Load() != 0 {
		t.Error("the bus was opened for a skip or refusal")
	}
	for _, want := range []string{"notice: pull_request.labeled is not handled", "warning: fork pull requests are refused", "status=skipped", "status=refused"} {
		if !strings.Contains(h.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, h.out.String())
		}
	}
}

func TestRunReapFindsClosedLeftover(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code := h.run(prIntent(action.KindDeploy, "pull_request.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	// The PR closes but its teardown fails every time.
	h.fake.FailNext(providertest.OpDestroy, "preview-pr-7", 100, errors.New("platform says no"))
	if code := h.run(prIntent(action.KindDestroy, "pull_request.closed")); code != ExitFailed {
		t.Fatalf("failing destroy exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if _, ok, _ := h.fake.Env("preview-pr-7"); !ok {
		t.Fatal("environment gone although destroy failed")
	}
	h.fake.ClearFaults()
	it := action.Intent{Kind: action.KindReap, Trigger: "schedule", Repo: "acme/app", Owner: "acme", Name: "app"}
	if code := h.run(it); code != ExitOK {
		t.Fatalf("reap exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env("preview-pr-7"); ok {
		t.Errorf("closed leftover not reaped\n%s", h.out.String())
	}
}
