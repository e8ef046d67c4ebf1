package github_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

const (
	owner = "octo"
	repo  = "app"
	token = "ghs_faketoken0123456789"
)

// recorder collects values from concurrent callers.
type recorder[T any] struct {
	mu sync.Mutex
	v  []T
}

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.v = append(r.v, v)
}

func (r *recorder[T]) got() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.v)
}

// waits records the waits the client asked for instead of sleeping.
type waits struct{ recorder[time.Duration] }

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.add(d)
	return ctx.Err()
}

func newClient(t *testing.T, opts ...github.Option) (*github.Client, *githubtest.Server, *waits) {
	t.Helper()
	fake := githubtest.New(t, owner, repo, token)
	w := &waits{}
	opts = append([]github.Option{github.WithBaseURL(fake.URL), github.WithWait(w.wait)}, opts...)
	c, err := github.New(token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, w
}

func TestReporterLifecycleOneCommentInPlace(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	fake.AddComment(7, "alice", "looks good")
	r := &github.Reporter{Client: c, Comments: true, Deployments: true}
	tgt := &github.Target{Owner: owner, Repo: repo, PR: 7, Env: "app-pr-7", Ref: "abc123"}
	ctx := t.Context()

	steps := []struct {
		event  string
		update github.Update
	}{
		{"opened: deploying", github.Update{Status: github.DeploymentStatus{State: github.StateInProgress}, Comment: "Deploying abc123"}},
		{"opened: ready", github.Update{Status: github.DeploymentStatus{State: github.StateSuccess, EnvironmentURL: "https://app-pr-7.example", LogURL: "https://github.com/octo/app/actions/runs/1"}, Comment: "Ready at https://app-pr-7.example"}},
		{"synchronize: deploying", github.Update{Status: github.DeploymentStatus{State: github.StateInProgress}, Comment: "Deploying def456"}},
		{"synchronize: ready", github.Update{Status: github.DeploymentStatus{State: github.StateSuccess, EnvironmentURL: "https://app-pr-7.example"}, Comment: "Ready (def456)"}},
		{"closed: destroying", github.Update{Status: github.DeploymentStatus{State: github.StateInProgress, Description: "destroying"}, Comment: "Destroying"}},
		{"closed: destroyed", github.Update{Status: github.DeploymentStatus{State: github.StateInactive}, Comment: "Destroyed"}},
	}
	perEvent := map[string]int{}
	for _, s := range steps {
		before := fake.Total()
		if err := r.Report(ctx, tgt, s.update); err != nil {
			t.Fatalf("%s: %v", s.event, err)
		}
		ev, _, _ := strings.Cut(s.event, ":")
		perEvent[ev] += fake.Total() - before
	}
	for _, ev := range []string{"opened", "synchronize", "closed"} {
		t.Logf("requests for pull_request.%s: %d", ev, perEvent[ev])
	}
	t.Logf("requests per route: %v", fake.Counts())
	// First event pays for discovery (list comments, list deployments, two creates).
	if got := perEvent["synchronize"]; got > 4 {
		t.Errorf("steady-state synchronize used %d requests, want <= 4", got)
	}
	if got := perEvent["closed"]; got > 4 {
		t.Errorf("closed used %d requests, want <= 4", got)
	}

	comments := fake.Comments(7)
	if len(comments) != 2 {
		t.Fatalf("got %d comments on the PR, want the user's plus one sticky", len(comments))
	}
	sticky := comments[1]
	if sticky.ID != tgt.CommentID {
		t.Errorf("target comment id = %d, want %d", tgt.CommentID, sticky.ID)
	}
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("got %d deployments, want 1", len(deps))
	}
	if want := fmt.Sprintf("<!-- sindri:env=app-pr-7 deployment=%d closed=0 -->\nDestroyed", deps[0].ID); sticky.Body != want {
		t.Errorf("sticky body = %q, want %q", sticky.Body, want)
	}
	if sticky.Edits != len(steps)-1 {
		t.Errorf("sticky edited %d times, want %d", sticky.Edits, len(steps)-1)
	}

	d := deps[0]
	if d.Environment != "app-pr-7" || d.Ref != "abc123" || !*d.TransientEnvironment || *d.ProductionEnvironment ||
		*d.AutoMerge || d.RequiredContexts == nil || len(*d.RequiredContexts) != 0 {
		t.Errorf("deployment = %+v; want env app-pr-7, ref abc123, transient, not production, no auto-merge, required_contexts []", d)
	}
	var states []string
	for _, s := range fake.Statuses(d.ID) {
		states = append(states, s.State)
	}
	want := []string{"in_progress", "success", "in_progress", "success", "in_progress", "inactive"}
	if !slices.Equal(states, want) {
		t.Errorf("statuses = %v, want %v", states, want)
	}
	if st := fake.Statuses(d.ID)[1]; st.EnvironmentURL != "https://app-pr-7.example" || st.LogURL == "" {
		t.Errorf("success status = %+v, want environment_url and log_url", st)
	}
}

func TestReportWritesStatusBeforeCommentAndSurvivesCommentFailure(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t, github.WithRetries(1, time.Minute))
	r := &github.Reporter{Client: c, Comments: true, Deployments: true}
	tgt := &github.Target{Owner: owner, Repo: repo, PR: 3, Env: "e3", Ref: "sha3"}
	fake.Inject(githubtest.RouteListComments, githubtest.Fault{Status: 500}, githubtest.Fault{Status: 500})
	err := r.Report(t.Context(), tgt, github.Update{Status: github.DeploymentStatus{State: github.StateSuccess}, Comment: "Ready"})
	if err == nil {
		t.Fatal("Report succeeded though every comment listing failed")
	}
	if tgt.DeploymentID == 0 {
		t.Fatal("deployment id not recorded")
	}
	if sts := fake.Statuses(tgt.DeploymentID); len(sts) != 1 || sts[0].State != "success" {
		t.Errorf("statuses = %+v, want one success despite the comment failure", sts)
	}
}

func TestBranchEnvironmentWritesNoComment(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	r := &github.Reporter{Client: c, Comments: true, Deployments: true}
	tgt := &github.Target{Owner: owner, Repo: repo, Env: "app-main", Ref: "main"}
	if err := r.Report(t.Context(), tgt, github.Update{Status: github.DeploymentStatus{State: github.StateInProgress}, Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(githubtest.RouteCreateComment) + fake.Count(githubtest.RouteListComments); n != 0 {
		t.Errorf("%d comment requests for a branch environment", n)
	}
}

func TestDestroyWithoutDeploymentCreatesNone(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	r := &github.Reporter{Client: c, Deployments: true}
	tgt := &github.Target{Owner: owner, Repo: repo, PR: 1, Env: "never-deployed", Ref: "x"}
	if err := r.Report(t.Context(), tgt, github.Update{Status: github.DeploymentStatus{State: github.StateInactive}}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Deployments()); n != 0 {
		t.Errorf("created %d deployments just to mark them inactive", n)
	}
}

func TestUpsertFindsMarkerOnLaterPage(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	for i := range 130 {
		fake.AddComment(5, "bob", fmt.Sprintf("comment %d", i))
	}
	fake.AddComment(5, "", "<!-- sindri:env=other -->\nnot mine")
	fake.AddComment(5, "mallory", "<!-- sindri:env=e5 -->\nspoofed")
	ours := fake.AddComment(5, "", "<!-- sindri:env=e5 -->\nold")
	id, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 5, Env: "e5"}, "new")
	if err != nil {
		t.Fatal(err)
	}
	if id != ours {
		t.Errorf("upsert edited %d, want existing sticky %d", id, ours)
	}
	if got := fake.Count(githubtest.RouteListComments); got != 2 {
		t.Errorf("listed %d pages, want 2 (per_page=100)", got)
	}
	if n := len(fake.Comments(5)); n != 133 {
		t.Errorf("%d comments, want 133 (no new one)", n)
	}
}

func TestUpsertRecreatesDeletedComment(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	id, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 9, Env: "e9"}, "one")
	if err != nil {
		t.Fatal(err)
	}
	fake.DeleteComment(id)
	id2, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 9, Env: "e9", CommentID: id}, "two")
	if err != nil {
		t.Fatal(err)
	}
	if id2 == id || len(fake.Comments(9)) != 1 {
		t.Errorf("after deletion: id %d (old %d), %d comments; want a fresh single comment", id2, id, len(fake.Comments(9)))
	}
}

func TestLostCreateResponseMakesNoDuplicate(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	fake.Inject(githubtest.RouteCreateComment, githubtest.Fault{Lost: true})
	id, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 4, Env: "e4"}, "hello")
	if err != nil {
		t.Fatal(err)
	}
	cs := fake.Comments(4)
	if len(cs) != 1 || cs[0].ID != id {
		t.Errorf("comments = %+v, want exactly one with id %d", cs, id)
	}

	fake.Inject(githubtest.RouteCreateDeployment, githubtest.Fault{Lost: true})
	did, err := c.EnsureDeployment(t.Context(), owner, repo, "e4", "sha", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if ds := fake.Deployments(); len(ds) != 1 || ds[0].ID != did {
		t.Errorf("deployments = %+v, want exactly one with id %d", ds, did)
	}
}

func TestLostEditResponseIsRetried(t *testing.T) {
	t.Parallel()
	c, fake, w := newClient(t)
	id := fake.AddComment(2, "", "<!-- sindri:env=e2 -->\nv1")
	fake.Inject(githubtest.RouteEditComment, githubtest.Fault{Lost: true})
	if _, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 2, Env: "e2", CommentID: id}, "v2"); err != nil {
		t.Fatal(err)
	}
	if got := fake.Count(githubtest.RouteEditComment); got != 2 {
		t.Errorf("edit requests = %d, want 2", got)
	}
	if len(w.got()) != 1 {
		t.Errorf("waits = %v, want one backoff", w.got())
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	c, fake, w := newClient(t)
	id := fake.AddComment(2, "", "<!-- sindri:env=e2 -->\nv1")
	fake.Inject(githubtest.RouteEditComment, githubtest.Fault{Status: 429, RetryAfter: "7"})
	if _, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 2, Env: "e2", CommentID: id}, "v2"); err != nil {
		t.Fatal(err)
	}
	if got := w.got(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
		t.Errorf("waits = %v, want [7s] as Retry-After asked", got)
	}
	if got := fake.Count(githubtest.RouteEditComment); got != 2 {
		t.Errorf("edit requests = %d, want 2", got)
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	t.Parallel()
	t.Run("waits a minute when no Retry-After", func(t *testing.T) {
		t.Parallel()
		c, fake, w := newClient(t)
		fake.Inject(githubtest.RouteCreateComment, githubtest.Fault{Status: 403, Secondary: true})
		if _, err := c.Reply(t.Context(), owner, repo, 1, "hi"); err != nil {
			t.Fatal(err)
		}
		if got := w.got(); !slices.Equal(got, []time.Duration{time.Minute}) {
			t.Errorf("waits = %v, want [1m]", got)
		}
		if n := len(fake.Comments(1)); n != 1 {
			t.Errorf("%d comments, want 1", n)
		}
	})
	t.Run("honours its Retry-After", func(t *testing.T) {
		t.Parallel()
		c, fake, w := newClient(t)
		fake.Inject(githubtest.RouteCreateReaction, githubtest.Fault{Status: 403, Secondary: true, RetryAfter: "2"})
		id := fake.AddComment(1, "alice", "/sindri deploy")
		if err := c.React(t.Context(), owner, repo, id, github.ReactionEyes); err != nil {
			t.Fatal(err)
		}
		if got := w.got(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
			t.Errorf("waits = %v, want [2s]", got)
		}
	})
	t.Run("too long a wait gives up with ErrRateLimited", func(t *testing.T) {
		t.Parallel()
		c, fake, w := newClient(t, github.WithRetries(3, 30*time.Second))
		fake.Inject(githubtest.RouteGetPull, githubtest.Fault{Status: 403, Secondary: true, RetryAfter: "600"})
		_, err := c.PullRequest(t.Context(), owner, repo, 1)
		if !errors.Is(err, github.ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
		if len(w.got()) != 0 {
			t.Errorf("waited %v though the wait exceeded the bound", w.got())
		}
	})
	t.Run("a permission 403 is not retried", func(t *testing.T) {
		t.Parallel()
		c, fake, _ := newClient(t)
		fake.Inject(githubtest.RouteGetPull, githubtest.Fault{Status: 403})
		_, err := c.PullRequest(t.Context(), owner, repo, 1)
		if !errors.Is(err, github.ErrUnauthorized) || fake.Count(githubtest.RouteGetPull) != 1 {
			t.Errorf("err = %v after %d requests, want ErrUnauthorized after 1", err, fake.Count(githubtest.RouteGetPull))
		}
	})
}

func TestServerErrorsRetriedBounded(t *testing.T) {
	t.Parallel()
	c, fake, w := newClient(t, github.WithRetries(2, time.Minute))
	fake.AddPull(githubtest.PullRequest{Number: 8, HeadSHA: "s", HeadRef: "f", HeadRepo: owner + "/" + repo})
	fake.Inject(githubtest.RouteGetPull, githubtest.Fault{Status: 502}, githubtest.Fault{Status: 503})
	pr, err := c.PullRequest(t.Context(), owner, repo, 8)
	if err != nil || pr.HeadSHA != "s" {
		t.Fatalf("PullRequest = %+v, %v", pr, err)
	}
	if got := w.got(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("backoff waits = %v, want [1s 2s]", got)
	}
	fake.Inject(githubtest.RouteGetPull, githubtest.Fault{Status: 500}, githubtest.Fault{Status: 500}, githubtest.Fault{Status: 500})
	_, err = c.PullRequest(t.Context(), owner, repo, 8)
	var apiErr *github.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 500 || !apiErr.Retryable {
		t.Errorf("err = %v, want retryable *APIError 500 after the bound", err)
	}
}

func TestWaitIsCancellable(t *testing.T) {
	t.Parallel()
	fake := githubtest.New(t, owner, repo, token)
	c, err := github.New(token, github.WithBaseURL(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	fake.Inject(githubtest.RouteGetPull, githubtest.Fault{Status: 429, RetryAfter: "60"})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for fake.Count(githubtest.RouteGetPull) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := c.PullRequest(ctx, owner, repo, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPermission(t *testing.T) {
	t.Parallel()
	c, fake, _ := newClient(t)
	fake.SetPermission("admin1", "admin", "admin")
	fake.SetPermission("maint", "write", "maintain")
	fake.SetPermission("triager", "read", "triage")
	fake.SetPermission("custom", "write", "deployer")
	fake.SetPermission("reader", "read", "read")
	fake.SetPermission("outsider", "none", "")
	for user, want := range map[string]github.Permission{
		"admin1": github.PermAdmin, "maint": github.PermMaintain, "triager": github.PermTriage,
		"custom": github.PermWrite, "reader": github.PermRead, "outsider": github.PermNone,
	} {
		got, err := c.Permission(t.Context(), owner, repo, user)
		if err != nil || got != want {
			t.Errorf("Permission(%s) = %v, %v; want %v", user, got, err, want)
		}
	}
	got, err := c.Permission(t.Context(), owner, repo, "ghost")
	if got != github.PermNone || !errors.Is(err, github.ErrNotFound) {
		t.Errorf("Permission(ghost) = %v, %v; want none, ErrNotFound", got, err)
	}
}

func TestPermissionOrder(t *testing.T) {
	t.Parallel()
	order := []string{"none", "read", "triage", "write", "maintain", "admin"}
	for i, a := range order {
		pa, err := github.ParsePermission(a)
		if err != nil || pa.String() != a {
			t.Fatalf("ParsePermission(%s) = %v, %v", a, pa, err)
		}
		for j, b := range order {
			pb, _ := github.ParsePermission(b)
			if pa.Reaches(pb) != (i >= j) {
				t.Errorf("%s.Reaches(%s) = %v", a, b, pa.Reaches(pb))
			}
		}
	}
	if _, err := github.ParsePermission("owner"); !errors.Is(err, github.ErrUnknownPermission) {
		t.Errorf("ParsePermission(owner) err = %v", err)
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	t.Parallel()
	fake := githubtest.New(&quietT{TB: t}, owner, repo, token)
	c, err := github.New("ghs_wrong", github.WithBaseURL(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PullRequest(t.Context(), owner, repo, 1); !errors.Is(err, github.ErrUnauthorized) {
		t.Errorf("err = %v, want ErrUnauthorized", err)
	}
	if _, err := github.New(""); !errors.Is(err, github.ErrNoToken) {
		t.Errorf("New(\"\") err = %v, want ErrNoToken", err)
	}
}

// quietT lets a test provoke a fake's violation on purpose.
type quietT struct{ testing.TB }

func (q *quietT) Errorf(string, ...any) {}

func TestReactionsAndRedaction(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-s3cr3t-9f8e"
	c, fake, _ := newClient(t, github.WithRedactor(func(s string) string { return strings.ReplaceAll(s, canary, "***") }))
	id := fake.AddComment(6, "alice", "/sindri deploy")
	for _, r := range []github.Reaction{github.ReactionReceived, github.ReactionRocket, github.ReactionEyes} {
		if err := c.React(t.Context(), owner, repo, id, r); err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.Reactions(id); !slices.Equal(got, []string{"eyes", "rocket"}) {
		t.Errorf("reactions = %v, want [eyes rocket]", got)
	}
	if _, err := c.Reply(t.Context(), owner, repo, 6, "token "+canary); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpsertComment(t.Context(), &github.Target{Owner: owner, Repo: repo, PR: 6, Env: "e6"}, "url "+canary); err != nil {
		t.Fatal(err)
	}
	for _, cm := range fake.Comments(6) {
		if strings.Contains(cm.Body, canary) {
			t.Errorf("comment %d leaks the canary: %q", cm.ID, cm.Body)
		}
	}
}

func TestMarkerRejectsBreakout(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"", "a-->b", "a--!>b", "a\nb", "x<y", "a b", "a=b closed=1"} {
		if _, err := github.Marker(github.Sticky{Env: env}); !errors.Is(err, github.ErrBadEnv) {
			t.Errorf("Marker(%q) err = %v, want ErrBadEnv", env, err)
		}
	}
	if m, err := github.Marker(github.Sticky{Env: "app-pr-1", DeploymentID: 42, Closed: true}); err != nil || m != "<!-- sindri:env=app-pr-1 deployment=42 closed=1 -->" {
		t.Errorf("Marker = %q, %v", m, err)
	}
	// DNS-1123 labels may hold "--"; inside the comment it does not end it.
	if _, err := github.Marker(github.Sticky{Env: "octo--app-pr-1"}); err != nil {
		t.Errorf("Marker(octo--app-pr-1) err = %v", err)
	}
}
