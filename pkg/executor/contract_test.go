package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// spy is a Fake that records the Specs it is given, can be told its capabilities, and builds
// images.
type spy struct {
	*providertest.Fake
	caps     providers.Capabilities
	mu       sync.Mutex
	specs    map[string][]providers.Spec // by verb
	deployFn func(s *providers.Spec) (*providers.Deployment, error)
	images   bool
}

func newSpy(caps providers.Capabilities) *spy {
	return &spy{Fake: providertest.NewFake(), caps: caps, specs: map[string][]providers.Spec{}}
}

func (s *spy) seen(verb string, sp *providers.Spec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.specs[verb] = append(s.specs[verb], *sp)
}

func (s *spy) got(verb string) []providers.Spec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]providers.Spec(nil), s.specs[verb]...)
}

func (s *spy) Capabilities() providers.Capabilities { return s.caps }

func (s *spy) Deploy(ctx context.Context, sp *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	s.seen("deploy", sp)
	if s.deployFn != nil {
		return s.deployFn(sp)
	}
	return s.Fake.Deploy(ctx, sp, r)
}

func (s *spy) Destroy(ctx context.Context, sp *providers.Spec) error {
	s.seen("destroy", sp)
	return s.Fake.Destroy(ctx, sp)
}

func (s *spy) Status(ctx context.Context, sp *providers.Spec) (*providers.Status, error) {
	s.seen("status", sp)
	return s.Fake.Status(ctx, sp)
}

func (s *spy) Stop(ctx context.Context, sp *providers.Spec) error {
	s.seen("stop", sp)
	return s.Fake.Stop(ctx, sp)
}

// imageSpy adds providers.ImageBuilder to a spy.
type imageSpy struct{ *spy }

func (s imageSpy) BuildImage(_ context.Context, sp *providers.Spec, r providers.Reporter) (*providers.Image, error) {
	s.seen("image-build", sp)
	r.Progress("build", 1, 1)
	return &providers.Image{ID: "ami-0123", Name: sp.Env, Cloud: "aws", Region: "us-west-2"}, nil
}

func (s imageSpy) ValidateImage(_ context.Context, sp *providers.Spec, _ providers.Reporter) error {
	s.seen("image-validate", sp)
	return nil
}

func (s imageSpy) ListImages(_ context.Context, sp *providers.Spec) ([]providers.Image, error) {
	s.seen("image-list", sp)
	return []providers.Image{{ID: "ami-0123", Name: "web", Cloud: "aws"}}, nil
}

func (s imageSpy) DeleteImage(_ context.Context, sp *providers.Spec, id string) error {
	s.seen("image-delete:"+id, sp)
	return nil
}

func spyConfig(p providers.Provider) executor.Config {
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		panic(err)
	}
	c := testConfig(providertest.NewFake())
	c.Registry = &reg
	return c
}

func failedCode(t *testing.T, evs []*events.Envelope) events.FailCode {
	t.Helper()
	f, ok := last(evs).Data.(*events.Failed)
	if !ok {
		t.Fatalf("terminal event %s, want failed; all: %v", last(evs).Type, types(evs))
	}
	return f.Code
}

// A verb the provider's Capabilities leave out fails with code unsupported, and the provider
// is never called.
func TestCapabilitiesAreEnforced(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := newSpy(providers.Capabilities{StopStart: false})
	runExecutor(t, b, spyConfig(p))
	for _, kind := range []jobs.Kind{jobs.KindStop, jobs.KindStart, jobs.KindImageBuild} {
		j := newJob(t, kind, "caps", b.bump(t, "caps", false))
		b.publish(t, j)
		evs := b.follow(t, j.ID, waitEvents)
		if code := failedCode(t, evs); code != events.FailUnsupported {
			t.Errorf("%s on a provider without it: code %s, want unsupported", kind, code)
		}
		if msg := last(evs).Data.(*events.Failed).Message; !strings.Contains(msg, string(kind)) {
			t.Errorf("%s refusal %q does not name the kind", kind, msg)
		}
	}
	if n := p.Count("caps"); n != 0 {
		t.Errorf("the provider was called %d times for unsupported verbs, want 0", n)
	}
}

// The handle a deploy recorded comes back to teardown verbs, also for jobs that carry no
// config (the executor's reaper).
func TestHandleComesBackToTeardown(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := newSpy(providers.Capabilities{StopStart: true, UsesHandle: true})
	handle, err := providers.NewHandle(providertest.FakeName, 1, map[string]string{"namespace": "ns-1"})
	if err != nil {
		t.Fatal(err)
	}
	p.deployFn = func(s *providers.Spec) (*providers.Deployment, error) {
		return &providers.Deployment{Env: s.Env, Provider: providertest.FakeName, Handle: handle, State: providers.StateRunning, Changed: true}, nil
	}
	runExecutor(t, b, spyConfig(p))
	j := newJob(t, jobs.KindDeploy, "hand", b.bump(t, "hand", false))
	b.publish(t, j)
	wantTerminal(t, b.follow(t, j.ID, waitEvents), events.TypeSucceeded)
	for _, kind := range []jobs.Kind{jobs.KindStatus, jobs.KindDestroy} {
		j := newJob(t, kind, "hand", b.bump(t, "hand", false))
		j.Config = jobs.ConfigBlob{}
		b.publish(t, j)
		wantTerminal(t, b.follow(t, j.ID, waitEvents), events.TypeSucceeded)
	}
	for _, verb := range []string{"status", "destroy"} {
		specs := p.got(verb)
		if len(specs) != 1 {
			t.Fatalf("%s calls = %d, want 1", verb, len(specs))
		}
		s := specs[0]
		if s.Config != nil {
			t.Errorf("%s got a Config from a job without one", verb)
		}
		var st map[string]string
		if err := s.Handle.Decode(providertest.FakeName, 1, &st); err != nil || st["namespace"] != "ns-1" {
			t.Errorf("%s handle = %v (%v), want the deployed one", verb, s.Handle, err)
		}
	}
}

// Configs that name no image (e2b, devpod) run every kind: the provider decides whether it
// needs an image.
func TestConfigWithoutImageRuns(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := newSpy(providers.Capabilities{StopStart: true})
	runExecutor(t, b, spyConfig(p))
	const noImage = "version: \"3.0\"\nname: sbx\ndeployment:\n  provider: e2b\n"
	for _, kind := range []jobs.Kind{jobs.KindDeploy, jobs.KindStatus, jobs.KindDestroy} {
		j := newJob(t, kind, "noimg", b.bump(t, "noimg", false))
		j.Config.Text = noImage
		b.publish(t, j)
		wantTerminal(t, b.follow(t, j.ID, waitEvents), events.TypeSucceeded)
	}
	if d := p.got("deploy"); len(d) != 1 || d[0].Image != "" || d[0].Config == nil {
		t.Errorf("deploy specs = %+v, want one with a config and no image", d)
	}
}

// A Retry-After longer than the backoff is honoured.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := newSpy(providers.Capabilities{StopStart: true})
	calls := 0
	p.deployFn = func(s *providers.Spec) (*providers.Deployment, error) {
		calls++
		if calls == 1 {
			return nil, &providers.APIError{Provider: "fake", Op: "create", Status: 429, RetryAfter: 1500 * time.Millisecond}
		}
		return &providers.Deployment{Env: s.Env, Provider: providertest.FakeName, State: providers.StateRunning}, nil
	}
	runExecutor(t, b, spyConfig(p))
	j := newJob(t, jobs.KindDeploy, "later", b.bump(t, "later", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	var retry *events.Retrying
	var retryAt, againAt time.Time
	for _, ev := range evs {
		switch d := ev.Data.(type) {
		case *events.Retrying:
			retry, retryAt = d, ev.Time
		case *events.Started:
			if retry != nil {
				againAt = ev.Time
			}
		}
	}
	if retry == nil || time.Duration(retry.Delay) != 1500*time.Millisecond {
		t.Fatalf("retrying event %+v, want a delay of the asked 1.5s (backoff is 10-50ms)", retry)
	}
	if gap := againAt.Sub(retryAt); gap < 1400*time.Millisecond {
		t.Errorf("second attempt started %v after the retrying event, want ≥ 1.5s", gap)
	}
}

// A permanent failure that left resources behind is recorded as state error with its handle,
// so that close-destroy and the reaper find it; a quota error carries its hint.
func TestPartialFailureIsRecorded(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := newSpy(providers.Capabilities{StopStart: true})
	handle, _ := providers.NewHandle(providertest.FakeName, 1, map[string]string{"app": "a-1"})
	p.deployFn = func(*providers.Spec) (*providers.Deployment, error) {
		return nil, &providers.PartialError{Err: &providers.APIError{Provider: "fake", Op: "create machine", Status: 403, Err: providers.ErrQuota}, Remaining: []string{"app/a-1"}, Handle: handle}
	}
	runExecutor(t, b, spyConfig(p))
	j := newJob(t, jobs.KindDeploy, "half", b.bump(t, "half", false))
	j.Options.TTL = jobs.Duration(time.Hour)
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	if code := failedCode(t, evs); code != events.FailProvider {
		t.Errorf("code %s, want provider", code)
	}
	msg := last(evs).Data.(*events.Failed).Message
	if !strings.Contains(msg, "app/a-1") || !strings.Contains(msg, providers.Hint(providers.ErrQuota)) {
		t.Errorf("failure message %q lacks the leftovers or the quota hint", msg)
	}
	rec, _, err := b.envs.Get(context.Background(), "half")
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != providers.StateError || rec.Handle != handle || rec.ExpiresAt.IsZero() || rec.Provider != providertest.FakeName {
		t.Errorf("record state=%s handle=%q expires=%v provider=%q, want error, the partial handle, an expiry and the provider", rec.State, rec.Handle, rec.ExpiresAt, rec.Provider)
	}
}

type plain string

func (p plain) Reveal() string { return string(p) }

// A secret quoted in a succeeded payload is redacted in the event and in the env record;
// credentials named by the provider are not delivered.
func TestSucceededPayloadsAreRedactedAndCredentialsWithheld(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	const canary = "canary-9f8e7d6c5b4a"
	const cred = "cred-1a2b3c4d5e6f"
	p := newSpy(providers.Capabilities{StopStart: true, Credentials: []string{"FAKE_API_TOKEN"}})
	p.deployFn = func(s *providers.Spec) (*providers.Deployment, error) {
		return &providers.Deployment{Env: s.Env, Provider: providertest.FakeName, State: providers.StateRunning,
			Connection: &providers.Connection{HTTPURL: "http://127.0.0.1/?t=" + canary, ExecCommand: "exec " + cred},
			Messages:   []string{"token " + canary}}, nil
	}
	cfg := spyConfig(p)
	cfg.LocalSecrets = []providers.SecretValue{{Name: "APP_TOKEN", Value: plain(canary)}, {Name: "FAKE_API_TOKEN", Value: plain(cred)}}
	runExecutor(t, b, cfg)
	j := newJob(t, jobs.KindDeploy, "red", b.bump(t, "red", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	for _, ev := range evs {
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), canary) || strings.Contains(string(raw), cred) {
			t.Errorf("event %s carries a secret: %s", ev.Type, raw)
		}
	}
	rec, _, err := b.envs.Get(context.Background(), "red")
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(rec); strings.Contains(string(raw), canary) || strings.Contains(string(raw), cred) {
		t.Errorf("env record carries a secret: %s", raw)
	}
	d := p.got("deploy")
	if len(d) != 1 {
		t.Fatalf("deploys = %d", len(d))
	}
	if len(d[0].Secrets) != 1 || d[0].Secrets[0].Name != "APP_TOKEN" || len(d[0].Credentials) != 1 || d[0].Credentials[0].Name != "FAKE_API_TOKEN" {
		t.Errorf("delivered %v, credentials %v; want APP_TOKEN delivered and FAKE_API_TOKEN only a credential", d[0].Secrets, d[0].Credentials)
	}
}

// Image kinds run on an ImageBuilder under a lease per image, write no env record, and carry
// their result.
func TestImageJobs(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := imageSpy{newSpy(providers.Capabilities{})}
	runExecutor(t, b, spyConfig(p))
	const packer = "version: \"3.0\"\nname: vm\ndeployment:\n  provider: docker\n  image: local/demo:1\n"
	for _, kind := range []jobs.Kind{jobs.KindImageValidate, jobs.KindImageBuild, jobs.KindImageList, jobs.KindImageDelete} {
		j := newJob(t, kind, "web", 1)
		j.Config.Text = packer
		if kind == jobs.KindImageDelete {
			j.Image = "ami-0123"
		}
		b.publish(t, j)
		evs := b.follow(t, j.ID, waitEvents)
		wantTerminal(t, evs, events.TypeSucceeded)
		ok := last(evs).Data.(*events.Succeeded)
		switch kind {
		case jobs.KindImageBuild:
			if ok.Image == nil || ok.Image.ID != "ami-0123" {
				t.Errorf("image-build result %+v", ok.Image)
			}
		case jobs.KindImageList:
			if len(ok.Images) != 1 {
				t.Errorf("image-list result %+v", ok.Images)
			}
		}
	}
	if len(p.got("image-delete:ami-0123")) != 1 || len(p.got("image-build")) != 1 {
		t.Errorf("calls %v", p.specs)
	}
	if _, _, err := b.envs.Get(context.Background(), "web"); !errors.Is(err, events.ErrEnvNotFound) {
		t.Errorf("image jobs wrote an environment record: %v", err)
	}
}
