package action

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/providers"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

const canary = "CANARY-7f3a9c-secret"

func redactCanary(s string) string { return strings.ReplaceAll(s, canary, "***") }

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file; got:\n%s\nwant:\n%s", name, got, want)
	}
}

func hourly(v float64) *float64 { return &v }

// views are the rendered cases; each carries the canary somewhere a leak could happen.
func views() map[string]View {
	base := View{Kind: KindDeploy, Env: "hello-world-pr-2", Provider: "docker", Repo: "Codertocat/Hello-World",
		PR: 2, SHA: prSHA, Trigger: "pull_request.synchronize", Actor: "Codertocat",
		JobID: "0193b6f0-0000-7000-8000-000000000001", RunURL: "https://github.com/Codertocat/Hello-World/actions/runs/42"}
	deploying := base
	deploying.Phase = PhaseDeploying
	ready := base
	ready.Phase, ready.State = PhaseReady, providers.StateRunning
	ready.URL = "http://127.0.0.1:18080/?token=" + canary
	ready.Connect = "docker exec -it sindri-hello-world-pr-2 bash"
	ready.Duration = 83*time.Second + 400*time.Millisecond
	failed := base
	failed.Phase, failed.Duration = PhaseFailed, 12*time.Second
	failed.Error = "docker: create container: pull access denied | password=" + canary
	for i := range 40 {
		failed.LogTail = append(failed.LogTail, "step "+strings.Repeat("x", i%3)+" line")
	}
	failed.LogTail = append(failed.LogTail, "```", "env SECRET="+canary)
	destroyed := base
	destroyed.Phase, destroyed.Kind, destroyed.Trigger = PhaseDestroyed, KindDestroy, "pull_request.closed"
	planned := base
	planned.Phase, planned.Kind = PhasePlanned, KindPlan
	planned.Plan = &providers.Plan{Provider: "docker",
		Actions: []providers.PlannedAction{
			{Action: providers.ActionCreate, Resource: "container sindri-hello-world-pr-2", Description: "image ghcr.io/x|y:1"},
			{Action: providers.ActionCreate, Resource: "volume sindri-hello-world-pr-2-home", Description: "10Gi, key " + canary},
		},
		EstimatedCost: &providers.CostEstimate{Hourly: hourly(0), Currency: "USD", Notes: "local engine"},
		Calls:         []string{"POST /containers/create?name=sindri-hello-world-pr-2", "POST /containers/{id}/start"},
	}
	return map[string]View{"deploying": deploying, "ready": ready, "failed": failed, "destroyed": destroyed, "plan": planned}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for name, v := range views() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			summary := RenderSummary(v, redactCanary)
			comment := RenderComment(v, redactCanary)
			for what, text := range map[string]string{"summary": summary, "comment": comment} {
				if strings.Contains(text, canary) {
					t.Errorf("%s leaks the canary secret", what)
				}
			}
			golden(t, name+".summary.md", summary)
			golden(t, name+".comment.md", comment)
		})
	}
}

func TestRenderFailureKeepsLastLogLines(t *testing.T) {
	t.Parallel()
	v := views()["failed"]
	s := RenderSummary(v, NoRedaction)
	if strings.Contains(s, "\nstep  line\n```\n\n") || !strings.Contains(s, "env SECRET=") {
		t.Errorf("log tail missing its last lines:\n%s", s)
	}
	if n := strings.Count(s, " line\n"); n != MaxLogLines-2 {
		t.Errorf("%d log lines shown, want %d", n, MaxLogLines-2)
	}
	if strings.Contains(s, "\n```\nenv") {
		t.Error("a log line closed the code fence")
	}
}

func TestGitHubUpdate(t *testing.T) {
	t.Parallel()
	vs := views()
	for name, want := range map[string]github.DeploymentState{
		"deploying": github.StateInProgress, "ready": github.StateSuccess, "failed": github.StateFailure, "destroyed": github.StateInactive,
	} {
		u, ok := GitHubUpdate(vs[name], redactCanary)
		if !ok || u.Status.State != want {
			t.Errorf("%s: state %v (ok %v), want %v", name, u.Status.State, ok, want)
		}
		if (u.Status.EnvironmentURL != "") != (name == "ready") {
			t.Errorf("%s: environment_url %q", name, u.Status.EnvironmentURL)
		}
		if strings.Contains(u.Status.EnvironmentURL+u.Status.Description+u.Comment, canary) {
			t.Errorf("%s: update leaks the canary", name)
		}
	}
	if _, ok := GitHubUpdate(vs["plan"], NoRedaction); ok {
		t.Error("a plan touched the deployment")
	}
}

func TestWriteOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out")
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := githubactions.New(githubactions.WithGetenv(func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return outFile
		}
		return ""
	}), githubactions.WithWriter(os.Stderr))
	if err := WriteOutputs(a, OutputsFromView(views()["plan"]), redactCanary); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, name := range []string{"job-id", "environment", "status", "url", "connect", "plan"} {
		if !strings.Contains(got, name+"<<") {
			t.Errorf("output %s not written:\n%s", name, got)
		}
	}
	if !strings.Contains(got, `"resource":"container sindri-hello-world-pr-2"`) || strings.Contains(got, canary) {
		t.Errorf("plan output wrong or leaking:\n%s", got)
	}
}
