package act

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sindri/deploy/v3/pkg/github/githubtest"
)

// The repository and pull request of the event payloads in testdata/events (GitHub's own
// webhook examples).
const (
	payloadOwner = "Codertocat"
	payloadRepo  = "Hello-World"
	payloadPR    = 2
)

// TestPRPreviewWorkflow runs examples/workflows/pr-preview.yml with act against the action
// image built from this tree, for pull_request opened and then closed, in embedded mode with
// the Docker provider on this machine's engine and a fake GitHub API:
//   - opened: status ready, the URL is the published loopback port and answers while
//     deployed, the environment's container exists, one sticky comment and one Deployment
//     whose last status is success with the environment URL;
//   - closed: status destroyed for the same environment, nothing labelled with it remains in
//     Docker, the URL stops answering, the same comment is edited and the Deployment ends
//     inactive.
//
// It skips unless SINDRI_ACT=1 (make test sets it, with SINDRI_ACT_BIN=$(scripts/tools.sh
// act)); with SINDRI_ACT=1 a missing act, docker or git fails it. About 4-8 s warm, most of
// it building the action image; each act run takes about 1 s.
// actTurn serialises the act runs of this package: act names the action container after the
// workflow and job, whatever the directory, so two act runs of this workflow on one engine at
// once collide.
var actTurn sync.Mutex

// startActTest skips unless SINDRI_ACT=1, runs t in parallel with other packages' tests but
// takes its turn with this package's act runs (until t ends), checks the tools, and builds the
// action image under the exact reference action.yml names (so the published-image path is
// what runs) and the image the workspace deploys.
func startActTest(t *testing.T) tools {
	t.Helper()
	if os.Getenv("SINDRI_ACT") != "1" {
		t.Skip("set SINDRI_ACT=1 (and SINDRI_ACT_BIN) to run the workflow with act")
	}
	t.Parallel()
	actTurn.Lock()
	t.Cleanup(actTurn.Unlock)
	tl := requireTools(t)
	image := actionImage(t)
	t.Log(strings.TrimSpace(run(t, repoRoot, "scripts/build-action-image.sh", image)))
	run(t, repoRoot, "scripts/build-test-image.sh")
	return tl
}

func TestPRPreviewWorkflow(t *testing.T) {
	tl := startActTest(t)

	w := newWorkspace(t, tl)
	token := "ghs_e2e" + randomHex(t, 12)
	gh := githubtest.New(t, payloadOwner, payloadRepo, token)
	secrets := map[string]string{"GITHUB_TOKEN": token}
	env := map[string]string{"GITHUB_API_URL": strings.TrimSuffix(gh.URL, "/")}
	wantURL := fmt.Sprintf("http://127.0.0.1:%d", w.port)

	var envName string
	t.Cleanup(func() {
		if envName != "" {
			removeLabelled(tl, envName)
		}
	})

	opened := runAct(t, tl, w, "testdata/events/opened.payload.json", env, secrets)
	envName = opened.outputs["environment"]
	t.Logf("opened: outputs %v", opened.outputs)
	checkRunOutputs(t, "opened", opened, map[string]string{"status": "ready", "url": wantURL})
	if !strings.Contains(envName, w.name) {
		t.Errorf("opened: environment = %q, want it named after sindri.yaml's %q", envName, w.name)
	}
	if !slices.Contains(opened.lines, "Preview at "+wantURL) {
		t.Errorf("opened: the example's own step did not print %q; step lines:\n%s", "Preview at "+wantURL, strings.Join(opened.lines, "\n"))
	}
	if envName == "" {
		t.Fatalf("opened: no environment output\n%s", opened.log)
	}
	if got := labelled(t, tl, envName); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "ps ") }) {
		t.Errorf("opened: no container labelled sindri.dev/env=%s (got %v)", envName, got)
	}
	body, err := get(t, wantURL)
	if err != nil || !strings.Contains(body, "sindri-test ok") {
		t.Errorf("GET %s while deployed: %q, %v; want the hello image's answer", wantURL, body, err)
	}
	comments := gh.Comments(payloadPR)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, envName) || !strings.Contains(comments[0].Body, wantURL) {
		t.Errorf("opened: PR comments = %+v, want one sticky comment naming %s and %s", comments, envName, wantURL)
	}
	checkDeployment(t, "opened", gh, "success", wantURL)

	closed := runAct(t, tl, w, "testdata/events/closed.payload.json", env, secrets)
	t.Logf("closed: outputs %v", closed.outputs)
	checkRunOutputs(t, "closed", closed, map[string]string{"status": "destroyed", "environment": envName})
	if closed.outputs["job-id"] == opened.outputs["job-id"] {
		t.Errorf("closed: job-id %s is the opened run's", closed.outputs["job-id"])
	}
	if slices.ContainsFunc(closed.lines, func(l string) bool { return strings.HasPrefix(l, "Preview at ") }) {
		t.Errorf("closed: the example's preview step ran although the url output should be empty: %q", closed.outputs["url"])
	}
	if left := labelled(t, tl, envName); len(left) > 0 {
		t.Errorf("closed: left behind in Docker with label sindri.dev/env=%s: %v", envName, left)
	}
	if body, err := get(t, wantURL); err == nil {
		t.Errorf("GET %s after destroy answered %q", wantURL, body)
	}
	if after := gh.Comments(payloadPR); len(after) != 1 || len(comments) != 1 || after[0].ID != comments[0].ID || after[0].Edits == 0 {
		t.Errorf("closed: PR comments = %+v, want the same sticky comment, edited", after)
	}
	checkDeployment(t, "closed", gh, "inactive", "")
	if strings.Contains(opened.log+closed.log, token) {
		t.Error("the GitHub token appeared in act's output")
	}
}

// checkRunOutputs checks the outputs the appended step printed against want, and that job-id
// is a UUIDv7.
func checkRunOutputs(t *testing.T, event string, r *actRun, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := r.outputs[k]; got != v {
			t.Errorf("%s: output %s = %q, want %q", event, k, got, v)
		}
	}
	if id, err := uuid.Parse(r.outputs["job-id"]); err != nil || id.Version() != 7 {
		t.Errorf("%s: output job-id = %q, want a UUIDv7 (%v)", event, r.outputs["job-id"], err)
	}
	if t.Failed() {
		t.Logf("%s: act output:\n%s", event, r.log)
	}
}

// checkDeployment checks there is exactly one GitHub Deployment and that its newest status has
// state (and environment URL, when url is not empty).
func checkDeployment(t *testing.T, event string, gh *githubtest.Server, state, url string) {
	t.Helper()
	deps := gh.Deployments()
	if len(deps) != 1 {
		t.Errorf("%s: %d deployments, want 1: %+v", event, len(deps), deps)
		return
	}
	sts := gh.Statuses(deps[0].ID)
	if len(sts) == 0 {
		t.Errorf("%s: deployment %d has no statuses", event, deps[0].ID)
		return
	}
	last := sts[len(sts)-1]
	if last.State != state || (url != "" && last.EnvironmentURL != url) {
		t.Errorf("%s: last deployment status = %+v, want state %s url %q (all: %+v)", event, last, state, url, sts)
	}
}

// get fetches url once, with a short timeout: the environment is ready when the step ends.
func get(t *testing.T, url string) (string, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("status %s", resp.Status)
	}
	return string(b), nil
}

// TestPRPreviewWorkflowBridgeNetwork runs the same workflow with the action container on act's
// default bridge network, as GitHub's runners run container actions: the action cannot reach
// the host's 127.0.0.1, so the Docker provider finds itself in a separate network namespace and
// judges readiness without probing the published port. No GitHub API is reachable there, so
// the run has no token (comments and deployments are off). The URL must still answer from the
// host while deployed, and nothing may be left after the close.
func TestPRPreviewWorkflowBridgeNetwork(t *testing.T) {
	tl := startActTest(t)

	w := newWorkspace(t, tl)
	wantURL := fmt.Sprintf("http://127.0.0.1:%d", w.port)
	var envName string
	t.Cleanup(func() {
		if envName != "" {
			removeLabelled(tl, envName)
		}
	})
	opened := runActNet(t, tl, w, "testdata/events/opened.payload.json", nil, nil, false)
	envName = opened.outputs["environment"]
	checkRunOutputs(t, "opened (bridge)", opened, map[string]string{"status": "ready", "url": wantURL})
	if envName == "" {
		t.Fatalf("opened: no environment output\n%s", opened.log)
	}
	body, err := get(t, wantURL)
	if err != nil || !strings.Contains(body, "sindri-test ok") {
		t.Errorf("GET %s while deployed: %q, %v; want the hello image's answer", wantURL, body, err)
	}
	closed := runActNet(t, tl, w, "testdata/events/closed.payload.json", nil, nil, false)
	checkRunOutputs(t, "closed (bridge)", closed, map[string]string{"status": "destroyed", "environment": envName})
	if left := labelled(t, tl, envName); len(left) > 0 {
		t.Errorf("closed: left behind in Docker with label sindri.dev/env=%s: %v", envName, left)
	}
}
