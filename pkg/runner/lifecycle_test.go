package runner

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

func branchIntent(kind action.Kind, trigger string) action.Intent {
	return action.Intent{Kind: kind, Trigger: trigger, Repo: "acme/app", Owner: "acme", Name: "app",
		SHA: strings.Repeat("b", 40), Ref: "refs/heads/feature", Branch: "feature", Actor: "octo"}
}

// TestRunPullRequestTargetCloseWins: closing and reopening compare the action part of the
// trigger, so pull_request_target.closed closes the environment and .reopened reopens it.
func TestRunPullRequestTargetCloseWins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const env = "preview-pr-7"
	if code := h.run(prIntent(action.KindDeploy, "pull_request_target.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	if code := h.run(prIntent(action.KindDestroy, "pull_request_target.closed")); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	if code := h.run(prIntent(action.KindDeploy, "pull_request_target.synchronize")); code != ExitOK {
		t.Fatalf("late deploy exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env(env); ok {
		t.Fatalf("a late pull_request_target.synchronize deployed the closed PR again\n%s", h.out.String())
	}
	if code := h.run(prIntent(action.KindDeploy, "pull_request_target.reopened")); code != ExitOK {
		t.Fatalf("reopen exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env(env); !ok {
		t.Fatalf("pull_request_target.reopened did not deploy\n%s", h.out.String())
	}
}

// TestRunBranchRecreatedDeploysAgain: a delete closes the branch environment, and a push (or a
// workflow_dispatch) of a branch created again with the same name deploys again.
func TestRunBranchRecreatedDeploysAgain(t *testing.T) {
	t.Parallel()
	for _, trigger := range []string{"push", "workflow_dispatch"} {
		t.Run(trigger, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			env, err := jobs.EnvName(jobs.NameInput{Name: "preview", Repo: "acme/app", Branch: "feature"})
			if err != nil {
				t.Fatal(err)
			}
			if code := h.run(branchIntent(action.KindDeploy, "push")); code != ExitOK {
				t.Fatalf("deploy exit %d\n%s", code, h.out.String())
			}
			if code := h.run(branchIntent(action.KindDestroy, "delete")); code != ExitOK {
				t.Fatalf("destroy exit %d\n%s", code, h.out.String())
			}
			if _, ok, _ := h.fake.Env(env); ok {
				t.Fatal("branch environment survived the delete")
			}
			if code := h.run(branchIntent(action.KindDeploy, trigger)); code != ExitOK {
				t.Fatalf("redeploy exit %d\n%s", code, h.out.String())
			}
			if _, ok, _ := h.fake.Env(env); !ok {
				t.Fatalf("%s of the re-created branch did not deploy\n%s", trigger, h.out.String())
			}
		})
	}
}

// TestRunStatusLeavesDeploymentAlone: a status job neither creates a Deployment nor adds a
// status to one, and writes no sticky comment where there is none.
func TestRunStatusLeavesDeploymentAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	if code := h.runGitHub(prIntent(action.KindStatus, "workflow_dispatch"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("status exit %d\n%s", code, h.out.String())
	}
	if d := fake.Deployments(); len(d) != 0 {
		t.Errorf("status of a never-deployed environment created deployments %+v", d)
	}
	if c := fake.Comments(7); len(c) != 0 {
		t.Errorf("status of a never-deployed environment wrote comments %+v", c)
	}
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	if code := h.runGitHub(prIntent(action.KindDestroy, "pull_request.closed"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v, want 1", deps)
	}
	before := len(fake.Statuses(deps[0].ID))
	if code := h.runGitHub(prIntent(action.KindStatus, "workflow_dispatch"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("status exit %d\n%s", code, h.out.String())
	}
	st := fake.Statuses(deps[0].ID)
	if len(st) != before || st[len(st)-1].State != "inactive" {
		t.Errorf("status of a destroyed environment changed its deployment: %+v", st)
	}
}
