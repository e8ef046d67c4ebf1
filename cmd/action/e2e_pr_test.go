package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestE2EPullRequestLifecycle runs the action binary for a PR's opened, synchronize and closed
// events, as three workflow runs would: one sticky comment and one Deployment for the whole
// life of the environment, truthful outputs at every step, a URL that answers while deployed,
// and nothing left in Docker at the end.
func TestE2EPullRequestLifecycle(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	r.gh.AddPull(githubtest.PullRequest{Number: e2ePR, HeadSHA: shaOpened, HeadRef: "changes", HeadRepo: e2eOwner + "/" + e2eRepo})

	// maxRequests is what one PR event may cost against the GitHub API, each run on a fresh
	// embedded bus that remembers nothing: the first event (an opened PR) looks nothing up and
	// creates the comment and the Deployment, each with one duplicate check; later ones find
	// both with one comment listing (the marker names the Deployment), write in_progress, the
	// final status and the final comment. TestE2ERequestsWithKeptStore is the steady state
	// when the bus remembers.
	steps := []struct {
		action, sha string
		status      string
		deployed    bool
		maxRequests int
	}{
		{"opened", shaOpened, "ready", true, 6}, // creates: + one duplicate check each
		{"synchronize", shaPushed, "ready", true, 4},
		{"closed", shaPushed, "destroyed", false, 4},
	}
	for i, s := range steps {
		r.gh.ResetCounts()
		res := r.invoke("pull_request", prPayload(t, s.action, s.sha), nil)
		// The runner's request report: what one PR event costs against the GitHub API.
		t.Logf("GitHub API, fresh runner, pull_request.%s: %s", s.action, requestLog(r.gh))
		if n := r.gh.Counted(); n > s.maxRequests {
			t.Errorf("pull_request.%s: %d counted GitHub requests (%s), want at most %d", s.action, n, requestLog(r.gh), s.maxRequests)
		}
		if res.code != 0 {
			t.Fatalf("pull_request.%s: exit %d, want 0", s.action, res.code)
		}
		if errs := res.annotations("error"); len(errs) > 0 {
			t.Errorf("pull_request.%s: error annotations %q", s.action, errs)
		}
		o := res.outputs
		if o["status"] != s.status || o["environment"] != r.env() || !uuidRE.MatchString(o["job-id"]) {
			t.Errorf("pull_request.%s: outputs status=%q environment=%q job-id=%q, want %s, %s and a UUIDv7",
				s.action, o["status"], o["environment"], o["job-id"], s.status, r.env())
		}
		if s.deployed {
			if o["url"] != r.url() {
				t.Errorf("pull_request.%s: output url=%q, want %s", s.action, o["url"], r.url())
			}
			if !strings.Contains(o["connect"], "docker") || !strings.Contains(o["connect"], r.env()) {
				t.Errorf("pull_request.%s: output connect=%q, want a docker exec into %s", s.action, o["connect"], r.env())
			}
			code, body, err := httpGetReady(o["url"])
			if err != nil || code != 200 || !strings.HasPrefix(body, "sindri-test ok") {
				t.Errorf("GET %s after %s: %d %q %v, want 200 sindri-test ok", o["url"], s.action, code, body, err)
			}
		} else {
			if o["url"] != "" || o["connect"] != "" {
				t.Errorf("pull_request.%s: outputs url=%q connect=%q, want both empty", s.action, o["url"], o["connect"])
			}
			if _, _, err := httpGet(r.url()); err == nil {
				t.Errorf("GET %s after %s answered; want connection refused", r.url(), s.action)
			}
		}
		sticky := r.stickyComments()
		if len(sticky) != 1 {
			t.Fatalf("after %s: %d sticky comments for %s, want exactly 1", s.action, len(sticky), r.env())
		}
		if all := r.gh.Comments(e2ePR); len(all) != 1 {
			t.Errorf("after %s: %d comments on the PR, want only the sticky one", s.action, len(all))
		}
		if deps := r.gh.Deployments(); len(deps) != 1 || deps[0].Environment != r.env() {
			t.Fatalf("after %s: deployments %+v, want exactly one for %s", s.action, deps, r.env())
		}
		golden(t, "pr-"+s.action+".summary.md", r.normalize(res.summary))
		golden(t, "pr-"+s.action+".comment.md", r.normalize(sticky[0].Body))
		if i == 0 && sticky[0].Edits != 0 {
			t.Errorf("after opened: sticky comment edited %d times, want 0 (created when the deploy ended)", sticky[0].Edits)
		}
		if m := r.marker(); m.DeploymentID != r.gh.Deployments()[0].ID || m.Closed != (s.action == "closed") {
			t.Errorf("after %s: marker %+v, want deployment %d and closed=%v", s.action, m, r.gh.Deployments()[0].ID, s.action == "closed")
		}
	}

	final := r.stickyComments()[0]
	if !strings.Contains(final.Body, "Destroyed") {
		t.Errorf("final sticky comment does not say destroyed:\n%s", final.Body)
	}
	dep := r.gh.Deployments()[0]
	if dep.TransientEnvironment == nil || !*dep.TransientEnvironment || dep.ProductionEnvironment == nil || *dep.ProductionEnvironment {
		t.Errorf("deployment transient=%v production=%v, want transient and not production", dep.TransientEnvironment, dep.ProductionEnvironment)
	}
	sts := r.gh.Statuses(dep.ID)
	var states []string
	for _, st := range sts {
		states = append(states, st.State)
		if st.State == "success" && st.EnvironmentURL != r.url() {
			t.Errorf("success status environment_url=%q, want %s", st.EnvironmentURL, r.url())
		}
		if st.State != "success" && st.EnvironmentURL != "" {
			t.Errorf("%s status has environment_url %q; only success may", st.State, st.EnvironmentURL)
		}
		if st.LogURL == "" || !strings.HasPrefix(st.LogURL, "https://github.com/"+e2eOwner+"/"+e2eRepo+"/actions/runs/") {
			t.Errorf("%s status log_url=%q, want the workflow run", st.State, st.LogURL)
		}
	}
	want := []string{"in_progress", "success", "in_progress", "success", "in_progress", "inactive"}
	if strings.Join(states, ",") != strings.Join(want, ",") {
		t.Errorf("deployment statuses %v, want %v", states, want)
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("left in Docker after closed: %v", left)
	}
}

// TestE2ERequestsWithKeptStore runs a PR's opened, synchronize and closed events with the
// embedded bus's store kept between runs (SINDRI_EMBEDDED_STORE_DIR, as a shared NATS
// deployment remembers too): the env record keeps the comment and Deployment ids, so after
// the first deploy (at most 6 counted requests) each event costs at most 3 (in_progress, the
// final status, the final comment) and lists nothing; the PR still has one comment and one
// Deployment. Conditional GETs answered 304 (which GitHub does not count) are reported apart;
// the steady state makes no GET at all, so it has none to make conditional.
func TestE2ERequestsWithKeptStore(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	r.extraEnv["SINDRI_EMBEDDED_STORE_DIR"] = filepath.Join(r.dir, "store")
	var first, steady [2]int // counted, 304 (steady: the most of any later event)
	for _, s := range []struct {
		action, sha, status string
		maxRequests         int
	}{
		{"opened", shaOpened, "ready", 6},
		{"synchronize", shaPushed, "ready", 3},
		{"closed", shaPushed, "destroyed", 3},
	} {
		r.gh.ResetCounts()
		res := r.invoke("pull_request", prPayload(t, s.action, s.sha), nil)
		t.Logf("GitHub API, kept store, pull_request.%s: %s", s.action, requestLog(r.gh))
		if res.code != 0 || res.outputs["status"] != s.status {
			t.Fatalf("pull_request.%s: exit %d status %q, want 0 %s", s.action, res.code, res.outputs["status"], s.status)
		}
		if n := r.gh.Counted(); n > s.maxRequests {
			t.Errorf("pull_request.%s: %d counted GitHub requests (%s), want at most %d", s.action, n, requestLog(r.gh), s.maxRequests)
		}
		if s.action != "opened" && (r.gh.Count(githubtest.RouteListComments) != 0 || r.gh.Count(githubtest.RouteListDeployments) != 0) {
			t.Errorf("pull_request.%s listed comments or deployments (%s); the env record names both", s.action, requestLog(r.gh))
		}
		got := [2]int{r.gh.Counted(), r.gh.NotModified()}
		if s.action == "opened" {
			first = got
		} else {
			steady = [2]int{max(steady[0], got[0]), max(steady[1], got[1])}
		}
	}
	// The line `make report` prints.
	t.Logf("GitHub API per PR event: first deploy %d counted + %d conditional 304 (at most 6 counted); steady state %d counted + %d conditional 304 (at most 3 counted)",
		first[0], first[1], steady[0], steady[1])
	if n := len(r.stickyComments()); n != 1 {
		t.Errorf("%d sticky comments, want 1", n)
	}
	if deps := r.gh.Deployments(); len(deps) != 1 {
		t.Errorf("deployments %+v, want 1", deps)
	}
}

// TestE2EDryRun: with dry-run, an opened PR is routed and validated, its secrets resolved and
// the provider's side-effect-free Plan run as a plan job; the plan is the `plan` output, and
// nothing is deployed or written to GitHub.
func TestE2EDryRun(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{"dry-run": "true"})
	if res.code != 0 || res.outputs["status"] != "planned" {
		t.Fatalf("exit %d status %q, want 0 planned", res.code, res.outputs["status"])
	}
	if !strings.Contains(res.outputs["plan"], `"provider":"docker"`) {
		t.Errorf("plan output %q, want the docker plan as JSON", res.outputs["plan"])
	}
	if !uuidRE.MatchString(res.outputs["job-id"]) {
		t.Errorf("job-id %q, want the plan job's UUIDv7", res.outputs["job-id"])
	}
	if n := res.annotations("notice"); len(n) != 1 || !strings.Contains(n[0], "plan job") {
		t.Errorf("notices %q, want one saying the deploy runs as a plan job", n)
	}
	if n := r.gh.Total(); n != 0 {
		t.Errorf("dry-run made %d GitHub requests (%s), want none", n, requestLog(r.gh))
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("dry-run created %v", left)
	}
}

// TestE2ECloseWinsAcrossRuns: every invocation is a fresh process with a fresh embedded bus,
// as workflow runs on hosted runners are. After opened and closed, a synchronize run that was
// queued behind the close (same concurrency group) learns from the sticky comment's marker
// that the PR closed: it exits 0 with the close-wins notice, starts no container and writes
// nothing to GitHub. Reopening the PR deploys again.
func TestE2ECloseWinsAcrossRuns(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	for _, a := range []string{"opened", "closed"} {
		if res := r.invoke("pull_request", prPayload(t, a, shaOpened), nil); res.code != 0 {
			t.Fatalf("pull_request.%s: exit %d", a, res.code)
		}
	}
	if m := r.marker(); !m.Closed {
		t.Fatalf("marker after closed %+v, want closed", m)
	}
	before := r.stickyComments()[0]
	dep := r.gh.Deployments()[0]
	statuses := len(r.gh.Statuses(dep.ID))
	r.gh.ResetCounts()

	res := r.invoke("pull_request", prPayload(t, "synchronize", shaPushed), nil)
	t.Logf("GitHub API, late pull_request.synchronize: %s", requestLog(r.gh))
	if res.code != 0 || res.outputs["status"] != "superseded" || res.outputs["job-id"] != "" {
		t.Errorf("late synchronize: exit %d status %q job-id %q, want 0, superseded and no job", res.code, res.outputs["status"], res.outputs["job-id"])
	}
	if n := res.annotations("notice"); len(n) != 1 || !strings.Contains(n[0], "close wins") {
		t.Errorf("late synchronize: notices %q, want one saying close wins", n)
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("late synchronize recreated %v for a closed PR", left)
	}
	if got := r.gh.Counts(); r.gh.Total() != 1 || got[githubtest.RouteListComments] != 1 {
		t.Errorf("late synchronize made requests %s, want only the comment listing", requestLog(r.gh))
	}
	if after := r.stickyComments()[0]; after.Body != before.Body || len(r.gh.Statuses(dep.ID)) != statuses {
		t.Error("late synchronize changed the sticky comment or the deployment statuses")
	}

	reopened := payload(t, "pr-opened.payload.json", func(p map[string]any) {
		p["action"] = "reopened"
		p["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] = shaPushed
	})
	res = r.invoke("pull_request", reopened, nil)
	if res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("reopened: exit %d status %q, want 0 ready", res.code, res.outputs["status"])
	}
	if code, _, err := httpGetReady(res.outputs["url"]); err != nil || code != 200 {
		t.Errorf("GET %q after reopen: %d %v", res.outputs["url"], code, err)
	}
	if m := r.marker(); m.Closed || m.DeploymentID != dep.ID {
		t.Errorf("marker after reopen %+v, want open with deployment %d", m, dep.ID)
	}
	if len(r.gh.Deployments()) != 1 {
		t.Errorf("deployments %+v, want the one reused", r.gh.Deployments())
	}
}

// TestE2EConditionalLookupsWithKeptStore: the env record keeps the ETags of the lookups a run
// made. An environment deployed with reporting off has nothing on GitHub; its close looks for
// a sticky comment and a Deployment (2 counted requests), and a re-run of the close with the
// same token repeats both lookups as conditional requests answered 304 (not counted). With
// another token, as each workflow job's new GITHUB_TOKEN is, GitHub's per-token ETags do not
// match and both count again.
func TestE2EConditionalLookupsWithKeptStore(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	r.extraEnv["SINDRI_EMBEDDED_STORE_DIR"] = filepath.Join(r.dir, "store")
	const rotated = "ghs_e2enextjobtoken0123456789"
	r.gh.AddToken(rotated)
	r.secrets = append(r.secrets, rotated)
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{"comment": "false", "deployment": "false"})
	if res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("opened without reporting: exit %d status %q, want 0 ready", res.code, res.outputs["status"])
	}
	for _, s := range []struct {
		name                 string
		inputs               map[string]string
		counted, notModified int
	}{
		{"closed", nil, 2, 0},
		{"closed, re-run", nil, 0, 2},
		{"closed, re-run with a new token", map[string]string{"github-token": rotated}, 2, 0},
	} {
		r.gh.ResetCounts()
		res := r.invoke("pull_request", prPayload(t, "closed", shaOpened), s.inputs)
		t.Logf("GitHub API, kept store, pull_request.%s: %s", s.name, requestLog(r.gh))
		if res.code != 0 || res.outputs["status"] != "destroyed" {
			t.Fatalf("%s: exit %d status %q, want 0 destroyed", s.name, res.code, res.outputs["status"])
		}
		if r.gh.Counted() != s.counted || r.gh.NotModified() != s.notModified {
			t.Errorf("%s: %s; want %d counted and %d conditional 304", s.name, requestLog(r.gh), s.counted, s.notModified)
		}
	}
	if len(r.gh.Comments(e2ePR)) != 0 || len(r.gh.Deployments()) != 0 {
		t.Error("closing an environment GitHub never heard of wrote to GitHub")
	}
	if left := leftovers(t, r.env()); len(left) > 0 {
		t.Errorf("left in Docker after closed: %v", left)
	}
}

// TestE2ERateLimitsWaitedOut: rate limits GitHub answers while a PR deploys (a secondary rate
// limit 403 on a status, a 429 on the comment, each asking for a one-second wait) are waited
// out as asked, each wait announced by a line in the log, and the run ends ready without a
// warning, with one comment and one Deployment.
func TestE2ERateLimitsWaitedOut(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	r := newRepo(t, "")
	r.gh.Inject(githubtest.RouteCreateStatus, githubtest.Fault{Status: 403, Secondary: true, RetryAfter: "1"})
	r.gh.Inject(githubtest.RouteCreateComment, githubtest.Fault{Status: 429, RetryAfter: "1"})
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), nil)
	t.Logf("GitHub API, rate limited pull_request.opened: %s", requestLog(r.gh))
	if res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("exit %d status %q, want 0 ready\n%s", res.code, res.outputs["status"], res.stdout)
	}
	if w := append(res.annotations("warning"), res.annotations("error")...); len(w) > 0 {
		t.Errorf("warnings or errors %q, want none: the rate limits are waited out", w)
	}
	for _, want := range []string{
		"GitHub: secondary rate limit (403) on POST /repos/" + e2eOwner + "/" + e2eRepo + "/deployments/",
		"GitHub: rate limit (429) on POST /repos/" + e2eOwner + "/" + e2eRepo + "/issues/",
		"waiting 1s as GitHub asks",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	if n := len(r.stickyComments()); n != 1 {
		t.Errorf("%d sticky comments, want 1", n)
	}
	if _, states := r.theDeployment(); states != "in_progress,success" {
		t.Errorf("deployment statuses %s, want in_progress,success", states)
	}
}
