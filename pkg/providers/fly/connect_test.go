package fly_test

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
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
)

// execRoute is the exec endpoint as the fake's request log and rules name it.
const execRoute = "POST /v1/apps/{app}/machines/{id}/exec"

// deployed deploys env to a fresh fake and returns the provider, the fake, the spec and what
// Deploy reported.
func deployed(t *testing.T, env string) (*fly.Provider, *flytest.Fake, *providers.Spec, *providers.Deployment) {
	t.Helper()
	p, f := newFake(t, testFakeOptions(), nil)
	s := newSpec(t, env)
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	return p, f, s, d
}

// bare is the spec `local connect` builds: the env and its labels, no config, no handle.
func bare(s *providers.Spec) *providers.Spec {
	return &providers.Spec{Env: s.Env, Labels: s.Labels}
}

// TestConnectionIsDeploys: Connection reads back the way in Deploy reported, from the app and
// the machine alone.
func TestConnectionIsDeploys(t *testing.T) {
	t.Parallel()
	p, _, s, d := deployed(t, "conn-pr-7")
	for name, spec := range map[string]*providers.Spec{"with config": s, "bare": bare(s)} {
		got, err := p.Connection(t.Context(), spec)
		if err != nil {
			t.Fatalf("%s: Connection: %v", name, err)
		}
		if !reflect.DeepEqual(got, d.Connection) {
			t.Errorf("%s: Connection = %+v, want Deploy's %+v", name, got, d.Connection)
		}
	}
}

// TestExec runs commands through the fake's exec endpoint: output to the writers, the exit
// status returned, a signal as 128+N, an unknown command as 127; the request carries the argv
// and a positive timeout, and nothing but the documented fields.
func TestExec(t *testing.T) {
	t.Parallel()
	p, f, s, _ := deployed(t, "exec-pr-7")
	cases := []struct {
		name           string
		cmd            []string
		code           int
		stdout, stderr string
	}{
		{"echo", []string{"echo", "hi", "there"}, 0, "hi there\n", ""},
		{"env of the machine", []string{"printenv", "INIT_WORKSPACE"}, 0, "true\n", ""},
		{"env the machine lacks", []string{"printenv", "NO_SUCH_VARIABLE"}, 1, "", ""},
		{"exit status and stderr", []string{"sh", "-c", "echo oops >&2; echo out; exit 3"}, 3, "out\n", "oops\n"},
		{"false", []string{"false"}, 1, "", ""},
		{"signal", []string{"sh", "-c", "kill -9 $$"}, 137, "", ""},
		{"not found", []string{"vim", "x"}, 127, "", "sh: vim: command not found\n"},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		code, err := p.Exec(t.Context(), bare(s), tc.cmd, &out, &errOut)
		if err != nil {
			t.Fatalf("%s: Exec: %v", tc.name, err)
		}
		if code != tc.code || out.String() != tc.stdout || errOut.String() != tc.stderr {
			t.Errorf("%s: got %d, %q, %q; want %d, %q, %q", tc.name, code, out.String(), errOut.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
	var sent []string
	for _, e := range f.API.Requests() {
		if e.Route == execRoute {
			sent = append(sent, e.Body)
		}
	}
	if len(sent) != len(cases) {
		t.Fatalf("%d exec requests, want %d", len(sent), len(cases))
	}
	if want := `{"command":["echo","hi","there"],"timeout":`; !strings.HasPrefix(sent[0], want) || strings.HasPrefix(sent[0], want+"0") {
		t.Errorf("first exec body %s, want %s and a positive timeout", sent[0], want)
	}
	if v := f.API.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

// TestExecTimeoutFollowsDeadline: the command's bound is what is left of the caller's
// deadline less the slack for Fly's answer, in whole seconds.
func TestExecTimeoutFollowsDeadline(t *testing.T) {
	t.Parallel()
	p, f, s, _ := deployed(t, "exec-deadline")
	ctx, cancel := context.WithTimeout(t.Context(), 65*time.Second)
	defer cancel()
	if _, err := p.Exec(ctx, s, []string{"true"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	reqs := f.API.Requests()
	got := reqs[len(reqs)-1].Body
	if !strings.HasSuffix(got, `"timeout":59}`) && !strings.HasSuffix(got, `"timeout":60}`) {
		t.Errorf("exec body %s, want a timeout of 59 or 60 s (65 s left less 5 s)", got)
	}
}

// TestExecRefusals: an empty command, an env never deployed, a machine that is not started
// (refused before anything is sent), and the API's own refusal of a machine that stopped in
// between.
func TestExecRefusals(t *testing.T) {
	t.Parallel()
	p, f, s, _ := deployed(t, "exec-refuse")
	if _, err := p.Exec(t.Context(), s, nil, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, providers.ErrInvalidSpec) {
		t.Errorf("empty command: %v, want ErrInvalidSpec", err)
	}
	missing := newSpec(t, "never-deployed")
	if _, err := p.Exec(t.Context(), missing, []string{"true"}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Exec of an env never deployed: %v, want ErrNotFound", err)
	}
	if _, err := p.Connection(t.Context(), missing); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Connection of an env never deployed: %v, want ErrNotFound", err)
	}

	f.API.Add(apifake.Rule{Route: execRoute, Times: 1, Action: apifake.Respond(http.StatusPreconditionFailed,
		map[string]string{"error": "failed_precondition: machine is not started (currently stopped)"})})
	_, err := p.Exec(t.Context(), s, []string{"true"}, &bytes.Buffer{}, &bytes.Buffer{})
	var ae *providers.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusPreconditionFailed {
		t.Errorf("exec refused by the API: %v, want the 412", err)
	}

	if err := p.Stop(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	before := f.API.Count(execRoute)
	_, err = p.Exec(t.Context(), s, []string{"true"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not started") || !strings.Contains(err.Error(), "suspended") {
		t.Errorf("Exec on a suspended machine: %v, want an error naming its state", err)
	}
	if n := f.API.Count(execRoute) - before; n != 0 {
		t.Errorf("%d exec requests sent to a suspended machine, want none", n)
	}
}

// TestFakeExecNeedsStartedMachine: the fake refuses exec on a machine that is not started
// (412), and a body without the argv (400).
func TestFakeExecNeedsStartedMachine(t *testing.T) {
	t.Parallel()
	p, f, s, _ := deployed(t, "fake-exec")
	st, err := p.Status(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.URL+"/apps/"+appOf(s.Env)+"/machines/"+st.InstanceID+"/exec", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.Token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(`{"command":[]}`); got != http.StatusBadRequest {
		t.Errorf("exec without a command: HTTP %d, want 400", got)
	}
	if got := post(`{"command":["true"],"timeout":-1}`); got != http.StatusBadRequest {
		t.Errorf("exec with a negative timeout: HTTP %d, want 400", got)
	}
	if err := p.Stop(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if got := post(`{"command":["true"],"timeout":5}`); got != http.StatusPreconditionFailed {
		t.Errorf("exec on a suspended machine: HTTP %d, want 412", got)
	}
}

// TestExecNotRetriedOnceSent: a 429 (Fly never ran it) is sent again; a lost answer, a reset
// connection or a 503 after the request may have reached Fly is not, and the error says the
// command may have run and is not retryable.
func TestExecNotRetriedOnceSent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		action   apifake.Action
		requests int
		lost     bool
	}{
		{"429", apifake.TooManyRequests(0), 2, false},
		{"answer lost after running", apifake.ApplyThenDrop(), 1, true},
		{"connection reset", apifake.Reset(), 1, true},
		{"503", apifake.Respond(http.StatusServiceUnavailable, nil), 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, f, s, _ := deployed(t, "exec-lost")
			f.API.Add(apifake.Rule{Route: execRoute, Times: 1, Action: tc.action})
			var out bytes.Buffer
			code, err := p.Exec(t.Context(), s, []string{"echo", "once"}, &out, &bytes.Buffer{})
			if n := f.API.Count(execRoute); n != tc.requests {
				t.Errorf("%d exec requests, want %d", n, tc.requests)
			}
			if !tc.lost {
				if err != nil || code != 0 || out.String() != "once\n" {
					t.Errorf("Exec = %d, %q, %v; want 0 and the output", code, out.String(), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "may have run") {
				t.Fatalf("Exec error %v, want one saying the command may have run", err)
			}
			if providers.IsRetryable(err) {
				t.Errorf("the lost exec's error is retryable: %v", err)
			}
			if strings.Contains(err.Error(), f.Token()) {
				t.Errorf("the error carries the token")
			}
		})
	}
}
