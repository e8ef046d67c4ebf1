package fly_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
)

// TestDeployErrorsAreClear: each refusal is one error that names the provider, the HTTP
// status, Fly's request id and the fix (in the error or in providers.Hint, which the executor
// appends), and leaves nothing behind.
func TestDeployErrorsAreClear(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     func(*flytest.Options)
		cfg      func(*fly.Config)
		prepare  func(f *flytest.Fake, s *providers.Spec)
		sentinel error
		wants    []string
	}{
		{name: "bad token", cfg: func(c *fly.Config) { c.Token = "not-a-fly-token" },
			sentinel: providers.ErrAuth, wants: []string{"HTTP 401", "invalid token", "credential"}},
		{name: "quota", opts: func(o *flytest.Options) { o.MemoryQuotaMB = 1024 },
			sentinel: providers.ErrQuota, wants: []string{"HTTP 403", "over the allowed quota", "account limit"}},
		{name: "name held by another org", prepare: func(f *flytest.Fake, s *providers.Spec) { f.SeedApp(appOf(s.Env), "other-team") },
			sentinel: providers.ErrConflict, wants: []string{"HTTP 403", "another Fly organization holds it", "app_prefix"}},
		{name: "name taken between GET and POST", prepare: func(f *flytest.Fake, s *providers.Spec) {
			f.API.Before("POST /v1/apps", func() { f.SeedApp(appOf(s.Env), "other-team") })
		}, sentinel: providers.ErrConflict, wants: []string{"HTTP 403", "app_prefix"}},
		{name: "region Fly does not have", prepare: func(_ *flytest.Fake, s *providers.Spec) {
			s.Config = loadConfig(t, strings.Replace(baseYAML, "region: sjc", "region: xyz", 1))
		}, sentinel: providers.ErrInvalidSpec, wants: []string{"HTTP 422", "invalid region xyz", "set providers.fly.region"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := testFakeOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			var tweaks []func(*fly.Config)
			if tc.cfg != nil {
				tweaks = append(tweaks, tc.cfg)
			}
			p, f := newFake(t, opts, nil, tweaks...)
			s := newSpec(t, "err-pr-7")
			if tc.prepare != nil {
				tc.prepare(f, s)
			}
			_, err := p.Deploy(context.Background(), s, providers.NopReporter{})
			if err == nil {
				t.Fatal("Deploy succeeded, want an error")
			}
			if tc.sentinel != providers.ErrInvalidSpec && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tc.sentinel)
			}
			var pe *providers.PartialError
			if errors.As(err, &pe) {
				t.Errorf("error is a PartialError (left %v); the failed Deploy made the app and must remove it", pe.Remaining)
			}
			text := err.Error() + " | " + providers.Hint(err)
			for _, w := range append([]string{"fly: ", "(request flyfake-"}, tc.wants...) {
				if !strings.Contains(text, w) {
					t.Errorf("error %q\ndoes not contain %q", text, w)
				}
			}
			if strings.Count(err.Error(), "HTTP ") != 1 {
				t.Errorf("error %q: want exactly one HTTP status in it", err)
			}
			if left := f.Inventory(appOf(s.Env)); len(left) > 0 && tc.name != "name held by another org" && !strings.HasPrefix(tc.name, "name taken") {
				t.Errorf("left after the failed Deploy: %v", left)
			}
		})
	}
}

// TestCrashLoopFailsFast: a machine whose guest keeps exiting fails Deploy within seconds,
// naming the exit code, not at the timeout.
func TestCrashLoopFailsFast(t *testing.T) {
	t.Parallel()
	opts := testFakeOptions()
	opts.Crash = func(image string) bool { return strings.Contains(image, "crash") }
	p, f := newFake(t, opts, nil)
	s := newSpec(t, "crash-pr-1")
	s.Image = "registry.example/crash:1"
	s.Options.Timeout = time.Minute
	start := time.Now()
	_, err := p.Deploy(context.Background(), s, providers.NopReporter{})
	if err == nil || !strings.Contains(err.Error(), "exit code 1") || !strings.Contains(err.Error(), "keeps exiting") {
		t.Fatalf("Deploy = %v, want a crash error naming the exit code", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("crash reported after %v, want seconds", d)
	}
	if providers.IsRetryable(err) {
		t.Errorf("a crashing image is retryable: %v", err)
	}
	if left := f.Inventory(appOf(s.Env)); len(left) > 0 {
		t.Errorf("left after the failed Deploy: %v", left)
	}
}

// TestSecretsAreAppSecrets: Spec.Secrets become Fly app secrets, never machine env, and the
// FLY_API_TOKEN credential is never delivered.
func TestSecretsAreAppSecrets(t *testing.T) {
	t.Parallel()
	p, f := newFake(t, testFakeOptions(), nil)
	s := newSpec(t, "secrets-pr-2")
	s.Credentials = []providers.SecretValue{{Name: "FLY_API_TOKEN", Value: plainSecret("fly-cred-value")}}
	if _, err := p.Deploy(context.Background(), s, providers.NopReporter{}); err != nil {
		t.Fatal(err)
	}
	app := appOf(s.Env)
	if got := f.Secrets(app); got["GITHUB_TOKEN"] != "ghp-test-secret-value" || len(got) != 1 {
		t.Errorf("app secrets = %v, want only GITHUB_TOKEN", keysOf(got))
	}
	for k, v := range f.MachineEnv(app) {
		if strings.Contains(v, "ghp-test-secret-value") || strings.Contains(v, "fly-cred-value") || k == "GITHUB_TOKEN" {
			t.Errorf("machine env %s holds a secret", k)
		}
	}
	// A changed secret updates the machine in place; a removed one is unset.
	s.Secrets = []providers.SecretValue{{Name: "OTHER", Value: plainSecret("other-secret-value")}}
	d, err := p.Deploy(context.Background(), s, providers.NopReporter{})
	if err != nil || !d.Changed {
		t.Fatalf("Deploy with other secrets = %v, %v; want changed", d, err)
	}
	if got := f.Secrets(app); len(got) != 1 || got["OTHER"] != "other-secret-value" {
		t.Errorf("app secrets after the change = %v, want only OTHER", keysOf(got))
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestStopSuspendsWhereFlyAllows: a 2 GB machine (autoStop on, no swap) suspends; a 4 GB one
// stops, and Plan warns that it will.
func TestStopSuspendsWhereFlyAllows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		memory, want string
		warn         bool
	}{{"2GB", "suspended", false}, {"4GB", "stopped", true}} {
		t.Run(tc.memory, func(t *testing.T) {
			t.Parallel()
			p, f := newFake(t, testFakeOptions(), nil)
			s := newSpec(t, "stop-"+strings.ToLower(tc.memory))
			s.Config = loadConfig(t, strings.Replace(baseYAML+"    autoStopMachines: true\n", "  image: "+testImage+"\n", "  image: "+testImage+"\n  resources:\n    memory: "+tc.memory+"\n", 1))
			ctx := context.Background()
			pl, err := p.Plan(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(strings.Join(pl.Warnings, "\n"), "stops when idle instead of suspending"); got != tc.warn {
				t.Errorf("Plan warnings %q: fallback warning %v, want %v", pl.Warnings, got, tc.warn)
			}
			if _, err := p.Deploy(ctx, s, providers.NopReporter{}); err != nil {
				t.Fatal(err)
			}
			if err := p.Stop(ctx, s); err != nil {
				t.Fatal(err)
			}
			if got := f.MachineState(appOf(s.Env)); got != tc.want {
				t.Errorf("machine state after Stop = %s, want %s", got, tc.want)
			}
		})
	}
}
