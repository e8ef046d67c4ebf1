package github_test

import (
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// TestConcurrentReportsKeepOneCommentAndDeployment: two overlapping runs that both find no
// sticky comment and no Deployment (the fake holds both searches until both arrived) end with
// one comment and one Deployment, the oldest of each, and both runs use them.
func TestConcurrentReportsKeepOneCommentAndDeployment(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	r := &github.Reporter{Client: c, Comments: true, Deployments: true}
	fake.Hold(githubtest.RouteListDeployments, 2)
	fake.Hold(githubtest.RouteListComments, 2)
	targets := []*github.Target{
		{Owner: owner, Repo: repo, PR: 9, Env: "e9", Ref: "sha1"},
		{Owner: owner, Repo: repo, PR: 9, Env: "e9", Ref: "sha2"},
	}
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Go(func() {
			errs[i] = r.Report(t.Context(), tg, github.Update{Status: github.DeploymentStatus{State: github.StateSuccess}, Comment: "Ready"})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v, want 1", deps)
	}
	var sticky []githubtest.Comment
	for _, cm := range fake.Comments(9) {
		if s, ok := github.ParseMarker(cm.Body); ok && s.Env == "e9" {
			sticky = append(sticky, cm)
		}
	}
	if len(sticky) != 1 {
		t.Fatalf("sticky comments %+v, want 1", sticky)
	}
	for i, tg := range targets {
		if tg.DeploymentID != deps[0].ID || tg.CommentID != sticky[0].ID {
			t.Errorf("run %d kept deployment %d comment %d, want %d and %d", i, tg.DeploymentID, tg.CommentID, deps[0].ID, sticky[0].ID)
		}
	}
}
