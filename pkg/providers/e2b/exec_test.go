package e2b_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
)

var envdRoute = "POST " + e2btest.EnvdPath

// deployed returns a provider, its fake and the spec of an environment deployed on it, its
// sandbox reporting envd version (the fake's default when "").
func deployed(t *testing.T, env, version string) (*e2b.Provider, *e2btest.Fake, *providers.Spec, *providers.Deployment) {
	t.Helper()
	p, f := newTestProvider(t, nil)
	if version != "" {
		f.Lock(func(f *e2btest.Fake) { f.EnvdVersion = version })
	}
	s := newSpec(t, env, baseYAML)
	d, err := p.Deploy(ctxFor(t), s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	return p, f, s, d
}

// TestExec runs commands through the fake's envd on sandboxes of an old envd (user named in
// Basic auth, no stdin field) and a current one, and checks what each command printed where.
func TestExec(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		cmd              []string
		code             int
		stdout, inStderr string
	}{
		{"echo", []string{"echo", "hi"}, 0, "hi\n", ""},
		{"quoting", []string{"echo", "a  b", "it's", "$HOME", "x;y", `"q"`, "*", ""}, 0, "a  b it's $HOME x;y \"q\" * \n", ""},
		{"sandbox env", []string{"printenv", "INSTALL_PROFILE"}, 0, "minimal\n", ""},
		{"exit code", []string{"exit", "3"}, 3, "", ""},
		{"killed", []string{"sh", "-c", "kill -9 $$"}, 137, "", ""},
		{"terminated", []string{"bash", "-c", "kill -15 $$"}, 143, "", ""},
		{"interrupted", []string{"sh", "-c", "kill -2 $$"}, 130, "", ""},
		{"signal without a name", []string{"sh", "-c", "kill -40 $$"}, 168, "", ""},
		{"stderr only", []string{"no-such-tool", "--help"}, 127, "", "no-such-tool: command not found"},
	}
	for _, version := range []string{"0.2.4", "0.5.1"} {
		t.Run("envd "+version, func(t *testing.T) {
			t.Parallel()
			p, f, s, _ := deployed(t, "sindri-exec-"+strings.ReplaceAll(version, ".", ""), version)
			for _, tc := range cases {
				var out, errOut bytes.Buffer
				code, err := p.Exec(ctxFor(t), s, tc.cmd, &out, &errOut)
				if err != nil {
					t.Fatalf("%s: Exec(%q): %v", tc.name, tc.cmd, err)
				}
				if code != tc.code || out.String() != tc.stdout {
					t.Errorf("%s: Exec(%q) = %d, stdout %q; want %d, %q", tc.name, tc.cmd, code, out.String(), tc.code, tc.stdout)
				}
				if got := errOut.String(); (tc.inStderr == "") != (got == "") || !strings.Contains(got, tc.inStderr) {
					t.Errorf("%s: stderr %q, want it to hold %q", tc.name, got, tc.inStderr)
				}
			}
			if n := f.API.Count(envdRoute); n != len(cases) {
				t.Errorf("envd got %d requests for %d commands: each is sent once", n, len(cases))
			}
			withStdin := 0
			for _, e := range f.API.Requests() {
				if e.Route == envdRoute && strings.Contains(e.Body, `"stdin":false`) {
					withStdin++
				}
			}
			if want := map[string]int{"0.2.4": 0, "0.5.1": len(cases)}[version]; withStdin != want {
				t.Errorf("%d requests closed stdin, want %d (envd takes the field from 0.3.0)", withStdin, want)
			}
		})
	}
}

func TestExecPausedSandboxIsNotResumed(t *testing.T) {
	t.Parallel()
	p, f, s, _ := deployed(t, "sindri-exec-paused", "")
	if err := p.Stop(ctxFor(t), s); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	code, err := p.Exec(ctxFor(t), s, []string{"echo", "hi"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "is paused") {
		t.Fatalf("Exec on a paused sandbox = %d, %v; want an error saying it is paused", code, err)
	}
	if n := f.API.Count(envdRoute); n != 0 {
		t.Errorf("envd got %d requests: the proxy would have resumed the sandbox", n)
	}
	if sb, _ := f.Sandbox(f.Sandboxes(s.Env)[0]); sb.State != "paused" {
		t.Errorf("sandbox is %s after Exec, want paused", sb.State)
	}
}

func TestExecAndConnectionNotDeployed(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t, nil)
	s := newSpec(t, "sindri-exec-none", baseYAML)
	if _, err := p.Exec(ctxFor(t), s, []string{"echo", "hi"}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Exec: %v, want ErrNotFound", err)
	}
	if c, err := p.Connection(ctxFor(t), s); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Connection = %+v, %v; want ErrNotFound", c, err)
	}
	if n := f.API.Count(envdRoute); n != 0 {
		t.Errorf("envd got %d requests", n)
	}
}

func TestExecEmptyCommand(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t, nil)
	if _, err := p.Exec(ctxFor(t), newSpec(t, "sindri-exec-empty", baseYAML), nil, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, providers.ErrInvalidSpec) {
		t.Errorf("Exec without a command: %v, want ErrInvalidSpec", err)
	}
}

// TestExecRefusedToken: envd wants another token than the one the provider read (it was
// given a new one in between); the 401 is an auth error, sent once, naming no token.
func TestExecRefusedToken(t *testing.T) {
	t.Parallel()
	p, f, s, _ := deployed(t, "sindri-exec-token", "")
	id := f.Sandboxes(s.Env)[0]
	f.API.Before(envdRoute, func() { f.SetEnvdToken(id, "envd-token-rotated") })
	var out, errOut bytes.Buffer
	_, err := p.Exec(ctxFor(t), s, []string{"echo", "hi"}, &out, &errOut)
	if !errors.Is(err, providers.ErrAuth) {
		t.Fatalf("Exec with a token envd refuses: %v, want ErrAuth", err)
	}
	if msg := err.Error(); strings.Contains(msg, "envd-token-") || !strings.Contains(msg, "access token") {
		t.Errorf("error %q: want it to say the access token was refused, without any token", msg)
	}
	if n := f.API.Count(envdRoute); n != 1 {
		t.Errorf("envd got %d requests, want 1 (never retried)", n)
	}
	if out.Len()+errOut.Len() != 0 {
		t.Errorf("output %q %q from a refused command", out.String(), errOut.String())
	}
}

// TestExecNotRetriedOnceSent: whatever goes wrong once the request may have reached envd (the
// proxy's 502, envd's 503, a Connect error at the end of the stream, an
// answer lost after the command ran, a reset, the caller's deadline), the request was sent
// once, the error says the command may have run, is not retryable, and names no token.
func TestExecNotRetriedOnceSent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		arrange  func(f *e2btest.Fake, id string)
		deadline bool
	}{
		{"proxy 502", func(f *e2btest.Fake, id string) {
			f.API.Add(apifake.Rule{Route: envdRoute, Times: 1, Action: apifake.Respond(http.StatusBadGateway,
				map[string]any{"code": http.StatusBadGateway, "message": "The sandbox was not found", "sandboxId": id})})
		}, false},
		{"end of stream unavailable", func(f *e2btest.Fake, _ string) {
			f.Lock(func(f *e2btest.Fake) { f.EnvdStreamError = "unavailable" })
		}, false},
		{"end of stream resource_exhausted", func(f *e2btest.Fake, _ string) {
			f.Lock(func(f *e2btest.Fake) { f.EnvdStreamError = "resource_exhausted" })
		}, false},
		{"answer lost after running", func(f *e2btest.Fake, _ string) {
			f.API.Add(apifake.Rule{Route: envdRoute, Times: 1, Action: apifake.ApplyThenDrop()})
		}, false},
		{"connection reset", func(f *e2btest.Fake, _ string) {
			f.API.Add(apifake.Rule{Route: envdRoute, Times: 1, Action: apifake.Reset()})
		}, false},
		{"503 from envd", func(f *e2btest.Fake, _ string) {
			f.API.Add(apifake.Rule{Route: envdRoute, Times: 1, Action: apifake.Respond(http.StatusServiceUnavailable, nil)})
		}, false},
		{"deadline", func(f *e2btest.Fake, _ string) {
			f.API.Add(apifake.Rule{Route: envdRoute, Times: 1, Action: apifake.Hang()})
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, f, s, _ := deployed(t, "sindri-exec-once", "")
			tc.arrange(f, f.Sandboxes(s.Env)[0])
			ctx := ctxFor(t)
			if tc.deadline {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			}
			code, err := p.Exec(ctx, s, []string{"echo", "once"}, &bytes.Buffer{}, &bytes.Buffer{})
			if n := f.API.Count(envdRoute); n != 1 {
				t.Errorf("envd got %d requests, want 1", n)
			}
			if err == nil || !strings.Contains(err.Error(), "may have run") {
				t.Fatalf("Exec = %d, %v; want an error saying the command may have run", code, err)
			}
			if providers.IsRetryable(err) {
				t.Errorf("error is retryable: %v", err)
			}
			var ae *providers.APIError
			if errors.As(err, &ae) {
				t.Errorf("error unwraps to the APIError %v, whose status reads as retryable", ae)
			}
			if got := errors.Is(err, context.DeadlineExceeded); got != tc.deadline {
				t.Errorf("errors.Is(err, context.DeadlineExceeded) = %t, want %t: %v", got, tc.deadline, err)
			}
			if strings.Contains(err.Error(), "envd-token-") {
				t.Errorf("error %q carries the access token", err)
			}
		})
	}
}

// TestConnectionIsDeploys: read back, the way in is the one Deploy reported.
func TestConnectionIsDeploys(t *testing.T) {
	t.Parallel()
	p, _, s, d := deployed(t, "sindri-conn-e2b", "")
	got, err := p.Connection(ctxFor(t), &providers.Spec{Env: s.Env, Labels: s.Labels})
	if err != nil {
		t.Fatalf("Connection: %v", err)
	}
	if !reflect.DeepEqual(got, d.Connection) {
		t.Errorf("Connection = %+v\nDeploy reported %+v", got, d.Connection)
	}
}
