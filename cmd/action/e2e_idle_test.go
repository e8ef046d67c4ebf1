package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// startDockerExecutor runs an executor serving the real Docker provider on rb's bus, with an
// idle stop of idle, until the test ends.
func (rb *remoteBus) startDockerExecutor(p *docker.Provider, idle time.Duration) {
	rb.t.Helper()
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		rb.t.Fatal(err)
	}
	rb.runExecutor(executor.Config{Worker: "idle", Registry: &reg, SecretsKey: rb.key,
		DrainTimeout: 5 * time.Second, Cost: &executor.CostConfig{Idle: cost.Idle{Executor: idle}}})
}

// TestE2EIdleStopDocker: a real Docker environment deployed by the action through a remote
// executor whose idle time is short goes idle; the scheduled reap workflow (command: reap, the
// action binary) stops it, not destroys it, once that time has passed, and writes the sticky
// comment at once; the next push resumes it with the marker file written into its home volume
// before the stop, and the comment says it resumed.
func TestE2EIdleStopDocker(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	rb := startRemote(t)
	p, err := docker.New(docker.Config{Host: suite.engine})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	rb.startDockerExecutor(p, 2*time.Second)
	r := newRepo(t, "")
	bus := map[string]string{"nats-url": rb.srv.ClientURL()}

	if res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), bus); res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("deploy: exit %d status %q\n%s", res.code, res.outputs["status"], res.stdout)
	}
	spec := &providers.Spec{Env: r.env(), Labels: map[string]string{providers.LabelEnv: r.env(), providers.LabelRepo: e2eOwner + "/" + e2eRepo}}
	const path = config.HomeDir + "/.sindri-idle-marker"
	marker := "idle-marker-" + randHex(8)
	hello := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		code, err := p.Exec(t.Context(), spec, append([]string{"/hello"}, args...), &out, &errOut)
		if err != nil || code != 0 {
			t.Fatalf("exec /hello %v: exit %d, %v: %s", args, code, err, errOut.String())
		}
		return out.String()
	}
	hello("-write", path, "-content", marker)

	// The scheduled workflow runs until it finds the environment idle (its recorded idle time
	// is the executor's 2 s): earlier runs find nothing to do.
	reap := map[string]string{"nats-url": rb.srv.ClientURL(), "command": "reap"}
	for deadline := time.Now().Add(90 * time.Second); ; {
		res := r.invoke("schedule", []byte(`{"schedule":"17 * * * *"}`), reap)
		if res.code != 0 {
			t.Fatalf("reap: exit %d\n%s", res.code, res.stdout)
		}
		if strings.Contains(res.summary, "Idle environments: 1, stopped: 1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reap workflow did not stop the idle environment within 90 s; last summary:\n%s", res.summary)
		}
		time.Sleep(500 * time.Millisecond)
	}
	st, err := p.Status(t.Context(), spec)
	if err != nil || st.State != providers.StateStopped {
		t.Fatalf("after the idle stop the environment is %+v (%v), want stopped, not destroyed", st, err)
	}
	sticky := r.stickyComments()
	if len(sticky) != 1 || !strings.Contains(sticky[0].Body, "Stopped while idle: no push, command or traffic since") {
		t.Fatalf("sticky comment after the idle stop does not say so:\n%v", sticky)
	}

	if res := r.invoke("pull_request", prPayload(t, "synchronize", shaPushed), bus); res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("push: exit %d status %q\n%s", res.code, res.outputs["status"], res.stdout)
	}
	if got := hello("-read", path); got != marker {
		t.Fatalf("home volume after the idle stop and the push holds %q, want the marker %q", got, marker)
	}
	sticky = r.stickyComments()
	if len(sticky) != 1 || !strings.Contains(sticky[0].Body, "Resumed after an idle stop") {
		t.Fatalf("sticky comment after the push does not say it resumed:\n%v", sticky)
	}
}
