package runner

import (
	"context"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// lastState returns the state of the newest status of the only deployment.
func lastState(t *testing.T, fake *githubtest.Server) string {
	t.Helper()
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v, want 1", deps)
	}
	st := fake.Statuses(deps[0].ID)
	if len(st) == 0 {
		t.Fatal("the deployment has no status")
	}
	return st[len(st)-1].State
}

// TestRunCancelledLeavesFinalStatus: a workflow cancelled while the job runs (SIGTERM cancels
// the context) still writes a final deployment status, not in_progress.
func TestRunCancelledLeavesFinalStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h.ctx, h.onDeploy = ctx, cancel
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner")
	if got := lastState(t, fake); got == "in_progress" {
		t.Errorf("a cancelled run left the deployment in_progress\n%s", h.out.String())
	}
}

// TestRunPublishFailureReportsFailure: a deploy that reported in_progress and then could not
// queue its job marks the deployment failed.
func TestRunPublishFailureReportsFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if err := h.bus.JS.DeleteStream(context.Background(), events.JobsStream); err != nil {
		t.Fatal(err)
	}
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if got := lastState(t, fake); got != "failure" {
		t.Errorf("deployment left %s after a failed publish, want failure\n%s", got, h.out.String())
	}
}

// TestRunCloseWithoutEnvironmentReportsNothing: closing a PR that never had an environment
// creates no Deployment and no "Destroyed" comment.
func TestRunCloseWithoutEnvironmentReportsNothing(t *testing.T) {
	t.Parallel()
	for _, fresh := range []bool{true, false} {
		h := newHarness(t)
		h.fresh = fresh
		fake := githubtest.New(t, "acme", "app", "ghs_runner")
		if code := h.runGitHub(prIntent(action.KindDestroy, "pull_request.closed"), fake, "ghs_runner"); code != ExitOK {
			t.Fatalf("fresh=%v: destroy exit %d\n%s", fresh, code, h.out.String())
		}
		if d := fake.Deployments(); len(d) != 0 {
			t.Errorf("fresh=%v: closing a PR without environment created deployments %+v", fresh, d)
		}
		if c := fake.Comments(7); len(c) != 0 {
			t.Errorf("fresh=%v: closing a PR without environment wrote comments %+v", fresh, c)
		}
	}
}
