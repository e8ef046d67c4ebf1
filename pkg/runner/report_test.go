package runner

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// sticky returns the PR's sticky comment for env with its parsed marker.
func sticky(t *testing.T, fake *githubtest.Server, pr int, env string) (githubtest.Comment, github.Sticky) {
	t.Helper()
	var out []githubtest.Comment
	var marks []github.Sticky
	for _, c := range fake.Comments(pr) {
		if s, ok := github.ParseMarker(c.Body); ok && s.Env == env {
			out, marks = append(out, c), append(marks, s)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d sticky comments for %s, want 1", len(out), env)
	}
	return out[0], marks[0]
}

// TestRunRequestCounts measures the GitHub requests of a PR's life, with nothing remembered
// between runs (the embedded default on fresh runners) and with the env record kept (a shared
// NATS deployment or a kept store): 6 for the first deploy, then 3 per event with the record
// and 4 without (the one comment listing that finds the ids and the closed flag).
func TestRunRequestCounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fresh bool
		want  map[string]int
	}{
		// opened looks nothing up: it creates the comment and the Deployment, each followed by
		// one listing that finds a re-run's or an overlapping run's duplicate (github dedupe),
		// and writes two statuses: 6.
		{"embedded fresh runners", true, map[string]int{"opened": 6, "synchronize": 4, "closed": 4}},
		{"env record kept", false, map[string]int{"opened": 6, "synchronize": 3, "closed": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.fresh = tc.fresh
			fake := githubtest.New(t, "acme", "app", "ghs_runner")
			for _, ev := range []struct {
				action string
				kind   action.Kind
			}{{"opened", action.KindDeploy}, {"synchronize", action.KindDeploy}, {"closed", action.KindDestroy}} {
				fake.ResetCounts()
				if code := h.runGitHub(prIntent(ev.kind, "pull_request."+ev.action), fake, "ghs_runner"); code != ExitOK {
					t.Fatalf("%s: exit %d\n%s", ev.action, code, h.out.String())
				}
				t.Logf("pull_request.%s: %d requests %v", ev.action, fake.Total(), fake.Counts())
				if got := fake.Total(); got != tc.want[ev.action] {
					t.Errorf("pull_request.%s: %d requests %v, want %d", ev.action, got, fake.Counts(), tc.want[ev.action])
				}
				if ev.action != "opened" && fake.Count(githubtest.RouteListDeployments) != 0 {
					t.Errorf("pull_request.%s listed deployments; the marker or the record names it", ev.action)
				}
			}
			deps := fake.Deployments()
			if len(deps) != 1 {
				t.Fatalf("deployments %+v, want 1", deps)
			}
			var states []string
			for _, st := range fake.Statuses(deps[0].ID) {
				states = append(states, st.State)
			}
			if got, want := strings.Join(states, ","), "in_progress,success,in_progress,success,in_progress,inactive"; got != want {
				t.Errorf("statuses %s, want %s", got, want)
			}
			c, m := sticky(t, fake, 7, "preview-pr-7")
			if !strings.Contains(c.Body, "Destroyed") || !m.Closed || m.DeploymentID != deps[0].ID {
				t.Errorf("sticky comment %q (marker %+v), want destroyed, closed, deployment %d", c.Body, m, deps[0].ID)
			}
		})
	}
}

// TestRunCloseWinsAcrossFreshRuns: the destroy for a closed PR leaves closed=1 in the marker,
// so a synchronize run queued behind it on a fresh runner (no env record) is skipped before
// publishing and reports nothing; a reopen deploys again and clears the flag.
func TestRunCloseWinsAcrossFreshRuns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fresh = true
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	const env = "preview-pr-7"
	for _, trigger := range []string{"pull_request.opened", "pull_request.closed"} {
		kind := action.KindDeploy
		if trigger == "pull_request.closed" {
			kind = action.KindDestroy
		}
		if code := h.runGitHub(prIntent(kind, trigger), fake, "ghs_runner"); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", trigger, code, h.out.String())
		}
	}
	if _, m := sticky(t, fake, 7, env); !m.Closed {
		t.Fatalf("marker after close %+v, want closed", m)
	}
	ops := h.fake.Count(env)
	fake.ResetCounts()
	h.out.Reset()
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("late synchronize: exit %d, want 0\n%s", code, h.out.String())
	}
	out := h.out.String()
	if !strings.Contains(out, "close wins") || !strings.Contains(out, "status=superseded") {
		t.Errorf("late synchronize: no close-wins notice or superseded status:\n%s", out)
	}
	if strings.Contains(out, "job-id=0") || strings.Contains(out, "accepted by") {
		t.Errorf("late synchronize published a job:\n%s", out)
	}
	if n := h.fake.Count(env); n != ops {
		t.Errorf("late synchronize reached the provider (%d operations, %d before)", n, ops)
	}
	if _, ok, _ := h.fake.Env(env); ok {
		t.Error("the closed PR's environment exists again")
	}
	if got := fake.Counts(); fake.Total() != 1 || got[githubtest.RouteListComments] != 1 {
		t.Errorf("late synchronize made requests %v, want only the comment listing", got)
	}

	fake.ResetCounts()
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.reopened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("reopened: exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env(env); !ok {
		t.Fatal("reopened PR has no environment")
	}
	c, m := sticky(t, fake, 7, env)
	if m.Closed || !strings.Contains(c.Body, "Ready") {
		t.Errorf("after reopen: marker %+v body %q, want open and ready", m, c.Body)
	}
	// The reopen clears the flag when the job starts (one more comment edit), not only at its end.
	if n := fake.Count(githubtest.RouteEditComment); n != 2 {
		t.Errorf("reopen edited the comment %d times, want 2 (deploying, ready)", n)
	}
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("synchronize after reopen: exit %d\n%s", code, h.out.String())
	}
	if n := h.fake.CountOp(env, providertest.OpDeploy); n < 3 {
		t.Errorf("%d deploys, want the synchronize after the reopen to deploy", n)
	}
}

// TestRunForgedClosedMarkerIgnored: an outsider's comment carrying a closed marker does not
// stop a deploy.
func TestRunForgedClosedMarkerIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fresh = true
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	fake.AddComment(7, "mallory", "<!-- sindri:env=preview-pr-7 deployment=1 closed=1 -->\nforged")
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env("preview-pr-7"); !ok {
		t.Errorf("a forged marker stopped the deploy\n%s", h.out.String())
	}
	if len(fake.Comments(7)) != 2 {
		t.Errorf("comments %+v, want the forged one and ours", fake.Comments(7))
	}
}

// TestRunFailureTailHasProgress: a provider that fails after sending progress only (an image
// missing) still shows its last lines in the summary and the comment.
func TestRunFailureTailHasProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.progressFailure.Store(true)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	out := h.out.String()
	summary := out[strings.LastIndex(out, "## "):]
	for _, want := range []string{"resolve image sindri-test/missing:0 (1/3)", "image not present on the engine (1/3)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary's last lines lack %q:\n%s", want, summary)
		}
	}
	c, _ := sticky(t, fake, 7, "preview-pr-7")
	if !strings.Contains(c.Body, "Last log lines") || !strings.Contains(c.Body, "image not present on the engine") {
		t.Errorf("the comment shows no progress lines:\n%s", c.Body)
	}
}

// TestRunDryRun: dry-run validates, resolves secrets and runs the provider's Plan as a plan
// job; it deploys nothing, writes nothing to GitHub (not even ChatOps reactions) and sets the
// plan output.
func TestRunDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	dry := func(r *Request) { r.Inputs.DryRun = true }
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner", dry); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, h.out.String())
	}
	out := h.out.String()
	if !strings.Contains(out, "status=planned") || !strings.Contains(out, "plan={") {
		t.Errorf("outputs lack status=planned and the plan:\n%s", out)
	}
	if n := h.fake.CountOp("preview-pr-7", providertest.OpPlan); n != 1 {
		t.Errorf("the provider planned %d times, want 1", n)
	}
	if n := h.fake.CountOp("preview-pr-7", providertest.OpDeploy); n != 0 {
		t.Errorf("dry-run deployed %d times", n)
	}
	if n := fake.Total(); n != 0 {
		t.Errorf("dry-run made %d GitHub requests %v, want none", n, fake.Counts())
	}

	// A ChatOps command in a dry run: the permission is read, nothing is written.
	fake.SetPermission("octo", "write", "write")
	fake.AddPull(githubtest.PullRequest{Number: 7, HeadSHA: strings.Repeat("b", 40), HeadRef: "feature", HeadRepo: "acme/app"})
	cmd := fake.AddComment(7, "octo", "/sindri deploy")
	it := prIntent(action.KindDeploy, "issue_comment.created")
	it.NeedsPR = true
	it.ChatOps = &action.ChatOps{CommentID: cmd, Required: github.PermWrite}
	fake.ResetCounts()
	if code := h.runGitHub(it, fake, "ghs_runner", dry); code != ExitOK {
		t.Fatalf("ChatOps dry-run exit %d\n%s", code, h.out.String())
	}
	if got := fake.Reactions(cmd); len(got) != 0 {
		t.Errorf("dry-run reacted %v", got)
	}
	if n := fake.Count(githubtest.RouteCreateComment) + fake.Count(githubtest.RouteCreateStatus) + fake.Count(githubtest.RouteCreateReaction); n != 0 {
		t.Errorf("dry-run wrote to GitHub: %v", fake.Counts())
	}
}

// TestRunNoWaitWritesDeployingComment: with wait: false on a shared bus the run reports only
// the job's start, so the "deploying" comment is written then, even on the first event.
func TestRunNoWaitWritesDeployingComment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.external = true
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	// The config resolves a secret: on a shared bus it travels sealed to the executors' key.
	noWait := func(r *Request) { r.Inputs.Wait, r.Inputs.ExecutorKey = false, executorKey(t) }
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner", noWait); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, h.out.String())
	}
	if !strings.Contains(h.out.String(), "status=queued") {
		t.Errorf("outputs lack status=queued:\n%s", h.out.String())
	}
	c, m := sticky(t, fake, 7, "preview-pr-7")
	deps := fake.Deployments()
	if len(deps) != 1 || !strings.Contains(c.Body, "Deploying") || m.DeploymentID != deps[0].ID {
		t.Errorf("comment %q (marker %+v), deployments %+v; want a deploying comment naming the one deployment", c.Body, m, deps)
	}
}

// TestRunOpenedRerunKeepsOneCommentAndDeployment: an opened PR looks nothing up before it
// creates its comment and Deployment, so a re-run of the opened workflow on a fresh runner
// (the bus remembers nothing) creates both again; their duplicate checks converge on the
// first run's, and the PR keeps one comment and one Deployment.
func TestRunOpenedRerunKeepsOneCommentAndDeployment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fresh = true
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	for run := 1; run <= 2; run++ {
		if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
			t.Fatalf("run %d: exit %d\n%s", run, code, h.out.String())
		}
	}
	deps := fake.Deployments()
	if len(deps) != 1 {
		t.Fatalf("deployments %+v, want 1", deps)
	}
	if _, m := sticky(t, fake, 7, "preview-pr-7"); m.DeploymentID != deps[0].ID {
		t.Errorf("marker names deployment %d, want %d", m.DeploymentID, deps[0].ID)
	}
	if n := len(fake.Comments(7)); n != 1 {
		t.Errorf("%d comments on the PR, want 1", n)
	}
}
