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
	for _, l := range outsideFences(s) {
		if strings.HasPrefix(l, "env SECRET=") {
			t.Error("a log line closed the code fence")
		}
	}
}

// outsideFences returns the lines of md that are not content of a fenced code block, following
// CommonMark: a fence opens with a line of three or more backticks (or tildes) indented up to
// three spaces, and closes with a line of the same character, at least as long, indented up
// to three spaces and followed only by spaces. A tab counts as four columns of indentation.
func outsideFences(md string) []string {
	var out []string
	var fenceChar byte
	fenceLen := 0
	indent := func(l string) (int, string) {
		n := 0
		for len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			if l[0] == '\t' {
				n += 4 - n%4
			} else {
				n++
			}
			l = l[1:]
		}
		return n, l
	}
	run := func(l string, c byte) int {
		n := 0
		for n < len(l) && l[n] == c {
			n++
		}
		return n
	}
	for _, line := range strings.Split(md, "\n") {
		n, rest := indent(line)
		if fenceLen > 0 {
			if r := run(rest, fenceChar); n <= 3 && r >= fenceLen && strings.Trim(rest[r:], " \t") == "" {
				fenceLen = 0
				out = append(out, line)
			}
			continue
		}
		if n <= 3 && len(rest) > 0 && (rest[0] == '`' || rest[0] == '~') {
			c := rest[0]
			if r := run(rest, c); r >= 3 && (c == '~' || !strings.Contains(rest[r:], "`")) {
				fenceChar, fenceLen = c, r
			}
		}
		out = append(out, line)
	}
	return out
}

// TestRenderLogsCannotEscapeFence feeds provider log lines that try every way out of the code
// block (closing fences indented up to three spaces, longer fences, tildes, a </details>) and
// carry mentions and links: all of them must stay fence content, in the summary and in the
// comment, where the only </details> outside a fence is the renderer's own.
func TestRenderLogsCannotEscapeFence(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"```", " ```", "  ```", "   ```", "\t```", "````````````", "   ```` ", "~~~", "``` ```",
		"</details>", "</details><details><summary>x</summary>", "@Codertocat @org/team please look",
		"[click](https://evil.example)", "<img src=x onerror=alert(1)>", "line\r\n```", "```sh",
	}
	// Each attempt is followed by a marker line that must still be fence content; the
	// attempts are split over two views because only MaxLogLines lines are shown.
	failed := func(hs []string) View {
		v := views()["failed"]
		v.LogTail = nil
		for _, h := range hs {
			v.LogTail = append(v.LogTail, h, "HOSTILE after "+h)
		}
		return v
	}
	v1, v2 := failed(hostile[:len(hostile)/2]), failed(hostile[len(hostile)/2:])
	ready := views()["ready"]
	ready.Connect = "ssh x ``` HOSTILE\n   ```\n@org/team HOSTILE"
	plan := views()["plan"]
	plan.Plan.Calls = append(plan.Plan.Calls, "   ```", "HOSTILE </details> @org/team")
	for name, md := range map[string]string{
		"failed comment 1": RenderComment(v1, NoRedaction), "failed summary 1": RenderSummary(v1, NoRedaction),
		"failed comment 2": RenderComment(v2, NoRedaction), "failed summary 2": RenderSummary(v2, NoRedaction),
		"ready comment": RenderComment(ready, NoRedaction), "plan summary": RenderSummary(plan, NoRedaction),
	} {
		opened, closed := 0, 0
		for _, l := range outsideFences(md) {
			if strings.Contains(l, "HOSTILE") || strings.Contains(l, "@org") || strings.Contains(l, "evil") ||
				strings.Contains(l, "onerror") {
				t.Errorf("%s: log text outside the code block: %q\n%s", name, l, md)
			}
			opened += strings.Count(l, "<details>")
			closed += strings.Count(l, "</details>")
		}
		if opened != closed {
			t.Errorf("%s: %d <details> but %d </details> outside code blocks\n%s", name, opened, closed, md)
		}
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
