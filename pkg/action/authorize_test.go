package action

import (
	"errors"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

func newGitHub(t *testing.T) (*github.Client, *githubtest.Server) {
	t.Helper()
	fake := githubtest.New(t, "Codertocat", "Hello-World", "ghs_test")
	c, err := github.New("ghs_test", github.WithBaseURL(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string
		inputs   map[string]string
		perm     [2]string // permission, role_name of the commenter; empty: unknown user
		pull     githubtest.PullRequest
		wantKind Kind
		reason   string
	}{
		{"write may deploy", "events/issue_comment/pr-deploy.json", nil, [2]string{"write", "write"},
			githubtest.PullRequest{Number: 1, HeadSHA: "abc", HeadRef: "feat", HeadRepo: "Codertocat/Hello-World"}, KindDeploy, ""},
		{"triage refused", "events/issue_comment/pr-deploy.json", nil, [2]string{"read", "triage"},
			githubtest.PullRequest{Number: 1}, KindRefuse, "@Codertocat needs write permission on Codertocat/Hello-World to run `deploy` (has triage)"},
		{"unknown user refused", "events/issue_comment/pr-deploy.json", nil, [2]string{},
			githubtest.PullRequest{Number: 1}, KindRefuse, "needs write permission"},
		{"maintain required", "events/issue_comment/pr-deploy.json", map[string]string{"chatops-permission": "maintain"}, [2]string{"write", "write"},
			githubtest.PullRequest{Number: 1}, KindRefuse, "needs maintain permission"},
		{"fork refused after lookup", "events/issue_comment/pr-deploy.json", nil, [2]string{"admin", "admin"},
			githubtest.PullRequest{Number: 1, HeadSHA: "abc", HeadRef: "feat", HeadRepo: "evil/Hello-World"}, KindRefuse, "comes from a fork (evil/Hello-World)"},
		{"fork allowed", "events/issue_comment/pr-deploy.json", map[string]string{"allow-forks": "true"}, [2]string{"admin", "admin"},
			githubtest.PullRequest{Number: 1, HeadSHA: "abc", HeadRef: "feat", HeadRepo: "evil/Hello-World"}, KindDeploy, ""},
		{"closed PR refused", "events/issue_comment/pr-deploy.json", nil, [2]string{"write", "write"},
			githubtest.PullRequest{Number: 1, State: "closed", HeadSHA: "abc", HeadRepo: "Codertocat/Hello-World"}, KindRefuse, "is closed"},
		{"destroy of fork allowed", "events/issue_comment/pr-destroy-force.json", nil, [2]string{"write", "write"},
			githubtest.PullRequest{Number: 1, HeadSHA: "abc", HeadRef: "feat", HeadRepo: "evil/Hello-World"}, KindDestroy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh, fake := newGitHub(t)
			if tt.perm[0] != "" {
				fake.SetPermission("Codertocat", tt.perm[0], tt.perm[1])
			}
			fake.AddPull(tt.pull)
			in, err := parse(t, tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			it, err := Route("issue_comment", readEvent(t, tt.file), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Authorize(t.Context(), gh, it, in)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "kind", got.Kind, tt.wantKind)
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason = %q, want %q", got.Reason, tt.reason)
			}
			if got.Kind == KindRefuse {
				expect(t, "reply", got.Reply, got.Reason)
				expect(t, "reaction", ReactionFor(got, false), github.ReactionMinusOne)
				if strings.Contains(tt.reason, "permission") && fake.Count(githubtest.RouteGetPull) != 0 {
					t.Error("read the pull request after refusing the commenter")
				}
				return
			}
			expect(t, "sha", got.SHA, "abc")
			expect(t, "branch", got.Branch, "feat")
			expect(t, "needsPR", got.NeedsPR, false)
			expect(t, "reaction", ReactionFor(got, true), github.ReactionRocket)
		})
	}
}

func TestAuthorizePassesThroughNonChatOps(t *testing.T) {
	t.Parallel()
	gh, fake := newGitHub(t)
	in := defaultInputs(t)
	it, err := Route("pull_request", readEvent(t, "github-events/pull_request/opened.payload.json"), in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Authorize(t.Context(), gh, it, in)
	if err != nil || got.Kind != KindDeploy || fake.Total() != 0 {
		t.Errorf("Authorize = %v, %v after %d requests; want deploy with no API calls", got.Kind, err, fake.Total())
	}
}

func TestAuthorizeAPIError(t *testing.T) {
	t.Parallel()
	gh, fake := newGitHub(t)
	fake.SetPermission("Codertocat", "write", "write")
	in := defaultInputs(t)
	it, err := Route("issue_comment", readEvent(t, "events/issue_comment/pr-deploy.json"), in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Authorize(t.Context(), gh, it, in)
	if !errors.Is(err, github.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound for a missing PR", err)
	}
}
