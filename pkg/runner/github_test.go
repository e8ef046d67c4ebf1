package runner

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// runGitHub is harness.run with GitHub reporting to the fake gh.
func (h *harness) runGitHub(it action.Intent, fake *githubtest.Server, token string, mutate ...func(*Request)) int {
	h.t.Helper()
	gh, err := github.New(token, github.WithBaseURL(fake.URL), github.WithRetries(0, time.Second))
	if err != nil {
		h.t.Fatal(err)
	}
	h.opened.Add(1)
	req := Request{
		Intent:    it,
		Inputs:    action.Inputs{Config: "sindri.yaml", Provider: providertest.FakeName, Wait: true, Timeout: time.Minute, Comment: true, Deployment: true},
		Workspace: h.dir,
		LookupEnv: func(k string) (string, bool) {
			if k == "CANARY_TOKEN" {
				return canary, true
			}
			return "", false
		},
		Delivery: "run/gh/" + time.Now().Format(time.RFC3339Nano),
	}
	deps := Deps{
		Out:      &ConsoleOutput{W: &h.out},
		Registry: h.reg,
		GitHub:   gh,
		OpenBus: func(ctx context.Context, resolved []secrets.Resolved) (*Bus, error) {
			if h.fresh {
				return EmbeddedOpener(EmbeddedConfig{Registry: h.execReg})(ctx, resolved)
			}
			return &Bus{JS: h.bus.JS, Envs: h.bus.Envs, Embedded: !h.external}, nil
		},
	}
	for _, m := range mutate {
		m(&req)
	}
	ctx := context.Background()
	if h.ctx != nil {
		ctx = h.ctx
	}
	return Run(ctx, req, deps)
}

func errorLines(out string) []string {
	var errs []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "error: ") || strings.Contains(l, ": error: ") {
			errs = append(errs, l)
		}
	}
	return errs
}

// TestRunRejectedTokenPublishesNothing: a token GitHub answers 401 stops a deploy before its
// job is published, with one error.
func TestRunRejectedTokenPublishesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	// GitHub rejects a bad token on every route; an opened PR's first request is the create.
	for _, route := range []string{githubtest.RouteListDeployments, githubtest.RouteListComments, githubtest.RouteCreateDeployment} {
		fake.Inject(route, githubtest.Fault{Status: http.StatusUnauthorized})
	}
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if errs := errorLines(h.out.String()); len(errs) != 1 || !strings.Contains(errs[0], "github-token") {
		t.Errorf("errors %q, want one about the github-token input\n%s", errs, h.out.String())
	}
	if n := h.fake.Count("preview-pr-7"); n != 0 {
		t.Errorf("the provider ran %d operations; the job must not be published", n)
	}
	if len(fake.Deployments()) != 0 || len(fake.Comments(7)) != 0 {
		t.Error("something was written to GitHub")
	}
}

// TestRunLateDeployAfterCloseReportsNothing: a deploy that close-wins refuses must not
// report "deploying" over the destroyed comment and the inactive deployment.
func TestRunLateDeployAfterCloseReportsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	if code := h.runGitHub(prIntent(action.KindDestroy, "pull_request.closed"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	before := fake.Total()
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("late deploy exit %d\n%s", code, h.out.String())
	}
	if n := fake.Total() - before; n != 0 {
		t.Errorf("the refused late deploy made %d GitHub requests (%v), want none", n, fake.Counts())
	}
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v, want 1", deps)
	}
	sts := fake.Statuses(deps[0].ID)
	if last := sts[len(sts)-1].State; last != "inactive" {
		t.Errorf("last deployment status %q, want inactive", last)
	}
	if c := fake.Comments(7); len(c) != 1 || !strings.Contains(c[0].Body, "Destroyed") {
		t.Errorf("comments %+v, want the sticky one saying destroyed", c)
	}
}

// TestRunDeployLosingToCloseEndsInactive: the PR closes after a synchronize deploy reported
// in_progress but before it queued its job. The deploy is skipped (close wins) and the
// Deployment it marked in_progress ends inactive, not stuck in progress.
func TestRunDeployLosingToCloseEndsInactive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	deploys := h.fake.CountOp("preview-pr-7", providertest.OpDeploy)
	var closeErr error
	fake.Before(githubtest.RouteCreateStatus, func() {
		// The close, handled by another run, lands between the in_progress report and the
		// publish of this run's job.
		_, closeErr = h.bus.Envs.BumpDesired(context.Background(), "preview-pr-7", true)
	})
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("synchronize exit %d\n%s", code, h.out.String())
	}
	if closeErr != nil {
		t.Fatal(closeErr)
	}
	if !strings.Contains(h.out.String(), "close wins") {
		t.Errorf("output does not say the deploy was skipped because the PR closed:\n%s", h.out.String())
	}
	if n := h.fake.CountOp("preview-pr-7", providertest.OpDeploy); n != deploys {
		t.Errorf("%d deploys ran after the close, want none", n-deploys)
	}
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v, want 1", deps)
	}
	sts := fake.Statuses(deps[0].ID)
	var states []string
	for _, s := range sts {
		states = append(states, s.State)
	}
	if len(states) < 2 || states[len(states)-2] != "in_progress" || states[len(states)-1] != "inactive" {
		t.Errorf("deployment statuses %v, want the synchronize's in_progress followed by inactive", states)
	}
}
