package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// The provider's log lines stream into the workflow log inside one collapsible group named
// after the job, in order, and the group is closed before the summary is written.
func TestRunStreamsProviderLogInAGroup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	out, buf := newActionOutput(t, nil)
	req := Request{
		Intent:    prIntent(action.KindDeploy, "pull_request.opened"),
		Inputs:    action.Inputs{Config: "sindri.yaml", Provider: providertest.FakeName, Wait: true, Timeout: time.Minute},
		Workspace: h.dir,
		LookupEnv: func(k string) (string, bool) {
			if k == "CANARY_TOKEN" {
				return canary, true
			}
			return "", false
		},
		Delivery: "run/group/1",
	}
	deps := Deps{Out: out, Registry: h.reg, OpenBus: func(context.Context, []secrets.Resolved) (*Bus, error) {
		return &Bus{JS: h.bus.JS, Envs: h.bus.Envs, Embedded: true}, nil
	}}
	if code := Run(context.Background(), req, deps); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, buf.String())
	}
	log := buf.String()
	open := strings.Index(log, "::group::sindri deploy preview-pr-7 (fake)")
	end := strings.Index(log, "::endgroup::")
	if open < 0 || end < open {
		t.Fatalf("no group for the job (group at %d, end at %d):\n%s", open, end, log)
	}
	inside := log[open:end]
	last := 0
	for _, line := range []string{"accepted by", "started on", "creating volume preview-pr-7", "creating machine preview-pr-7", "environment preview-pr-7 is running"} {
		i := strings.Index(inside, line)
		if i < last {
			t.Errorf("%q is not inside the group after the previous line:\n%s", line, inside)
			continue
		}
		last = i
	}
	if strings.Contains(log[end:], "creating machine") {
		t.Error("provider log lines after the group ended")
	}
}
