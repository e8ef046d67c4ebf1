package act

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sindri/deploy/v3/internal/testports"
)

// repoRoot is the repository root, relative to this package.
const repoRoot = "../.."

// tools are the programs the act test needs, resolved once.
type tools struct {
	act    string // the act binary (SINDRI_ACT_BIN, else act on PATH)
	docker string
	git    string
}

// requireTools resolves act, docker and git and checks that the Docker engine answers. With
// SINDRI_ACT=1 a missing piece fails the test: the suite was asked for and cannot be skipped.
func requireTools(t *testing.T) tools {
	t.Helper()
	var tl tools
	tl.act = os.Getenv("SINDRI_ACT_BIN")
	if tl.act == "" {
		p, err := exec.LookPath("act")
		if err != nil {
			t.Fatal("SINDRI_ACT=1 but no act binary: set SINDRI_ACT_BIN=$(scripts/tools.sh act) or put act on PATH")
		}
		tl.act = p
	}
	if fi, err := os.Stat(tl.act); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("SINDRI_ACT_BIN=%s is not an executable file (err %v)", tl.act, err)
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"docker", &tl.docker}, {"git", &tl.git}} {
		path, err := exec.LookPath(p.name)
		if err != nil {
			t.Fatalf("SINDRI_ACT=1 but %s is not on PATH: %v", p.name, err)
		}
		*p.dst = path
	}
	if out, err := exec.CommandContext(t.Context(), tl.docker, "version", "--format", "{{.Server.APIVersion}}").CombinedOutput(); err != nil {
		t.Fatalf("SINDRI_ACT=1 but the Docker engine does not answer (scripts/ensure-docker.sh starts one): %v\n%s", err, out)
	}
	return tl
}

// run runs a command in dir and fails the test with its output when it fails.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// actionImage is the image action.yml runs (runs.image without docker://): the test builds the
// action image under exactly this reference, so act finds it locally and never pulls.
func actionImage(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	ref, ok := strings.CutPrefix(a.Runs.Image, "docker://")
	if a.Runs.Using != "docker" || !ok || ref == "" {
		t.Fatalf("action.yml runs = %+v, want a docker action with a docker:// image", a.Runs)
	}
	return ref
}

// freePort returns a host port for a container to publish; see testports for why it is
// not a port-0 bind.
func freePort(t *testing.T) int {
	t.Helper()
	return testports.Free(t)
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// workspace is the test repository act runs in.
type workspace struct {
	dir      string // the git work tree: action.yml, sindri.yaml, .github/workflows
	scratch  string // act's HOME, XDG dirs and action cache; outside the work tree
	name     string // sindri.yaml name
	port     int    // published host port
	workflow string // the rewritten workflow, for failure messages
}

// newWorkspace makes a git repository holding the repository's action.yml, a sindri.yaml
// for the Docker provider and the rewritten example workflow.
func newWorkspace(t *testing.T, tl tools) *workspace {
	t.Helper()
	base := t.TempDir()
	w := &workspace{dir: filepath.Join(base, "repo"), scratch: filepath.Join(base, "act"),
		name: "e2e-act-" + randomHex(t, 4), port: freePort(t)}
	for _, d := range []string{filepath.Join(w.dir, ".github", "workflows"), w.scratch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	actionYML, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(exampleWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	wf, err := rewriteWorkflow(example)
	if err != nil {
		t.Fatal(err)
	}
	w.workflow = string(wf)
	tmpl, err := template.ParseFiles("testdata/sindri.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	var cfg bytes.Buffer
	if err := tmpl.Execute(&cfg, map[string]any{"Name": w.name, "Port": w.port}); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"action.yml":                       actionYML,
		"sindri.yaml":                      cfg.Bytes(),
		".github/workflows/pr-preview.yml": wf,
	} {
		if err := os.WriteFile(filepath.Join(w.dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		t.Helper()
		run(t, w.dir, tl.git, append([]string{"-c", "user.name=sindri e2e", "-c", "user.email=e2e@sindri.invalid",
			"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "act e2e workspace")
	return w
}

// actRun is one `act pull_request` run.
type actRun struct {
	log     string            // everything act printed
	outputs map[string]string // the appended step's lines: output name -> value
	lines   []string          // the workflow's own output lines (act's "| " lines)
}

// outputLine matches a line a run step printed, as act shows it: "[workflow/job]   | text".
var outputLine = regexp.MustCompile(`^\[[^\]]+\]\s+\| (.*)$`)

// runAct runs the workspace's workflow for the event in payload with act, on this machine
// (-self-hosted), offline. It fails the test when act fails.
//
// What act v0.2.89 needs here, and why:
//   - -P ubuntu-latest=-self-hosted: run steps run on the host; the container action still
//     runs in Docker (with the engine socket bound at /var/run/docker.sock).
//   - --pull=false, --action-offline-mode: nothing is pulled or fetched; the action image was
//     built locally under action.yml's docker:// reference, actions/checkout (no repository or
//     ref) is act's local checkout, which copies the workspace.
//   - --no-cache-server, --cache-server-addr 127.0.0.1: loopback only.
//   - --action-cache-path S plus --container-options "-v S:S": in self-hosted mode act hands
//     the container action host paths (GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//     GITHUB_WORKSPACE all live under the action cache) but binds them at other paths; binding
//     the cache at its own path makes those paths valid inside the container.
//   - --container-options "--network host": act starts a self-hosted run's container action on
//     the default bridge, where 127.0.0.1 is the container's own loopback, so the Docker
//     provider's readiness probe of the published 127.0.0.1 port would never connect. With
//     host networking the action also reaches the fake GitHub API on 127.0.0.1.
//   - HOME and XDG dirs in scratch: no user actrc or cache leaks in, and only PATH and the
//     DOCKER_* variables pass through (self-hosted mode copies act's environment into the job).
func runAct(t *testing.T, tl tools, w *workspace, payload string, env, secrets map[string]string) *actRun {
	t.Helper()
	return runActNet(t, tl, w, payload, env, secrets, true)
}

// runActNet is runAct with a choice of the action container's network: the host's (hostNet),
// or act's default bridge network, as on GitHub's runners, where the action cannot reach the
// host's loopback (no fake GitHub API then) and the Docker provider cannot probe published
// ports.
func runActNet(t *testing.T, tl tools, w *workspace, payload string, env, secrets map[string]string, hostNet bool) *actRun {
	t.Helper()
	cache := filepath.Join(w.scratch, "cache")
	secretFile := filepath.Join(w.scratch, "secrets")
	var sb strings.Builder
	for k, v := range secrets {
		fmt.Fprintf(&sb, "%s=%s\n", k, v)
	}
	if err := os.WriteFile(secretFile, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	payloadPath, err := filepath.Abs(payload)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"pull_request",
		"-e", payloadPath,
		"-W", ".github/workflows/pr-preview.yml",
		"-P", "ubuntu-latest=-self-hosted",
		"--pull=false", "--action-offline-mode",
		"--no-cache-server", "--cache-server-addr", "127.0.0.1",
		"--artifact-server-addr", "127.0.0.1",
		"--action-cache-path", cache,
		"--container-options", containerOptions(hostNet, cache),
		"--secret-file", secretFile,
		"--env-file", filepath.Join(w.scratch, "no.env"),
		"--var-file", filepath.Join(w.scratch, "no.vars"),
	}
	for k, v := range env {
		args = append(args, "--env", k+"="+v)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tl.act, args...)
	cmd.Dir = w.dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(w.scratch, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(w.scratch, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(w.scratch, "xdg-cache"),
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DOCKER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// Interrupt, not kill, on timeout: act then removes the action container it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("act %s: %s", filepath.Base(payload), time.Since(start).Round(time.Millisecond))
	r := &actRun{log: string(out), outputs: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := outputLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r.lines = append(r.lines, m[1])
		if kv, ok := strings.CutPrefix(m[1], outputMarker); ok {
			k, v, _ := strings.Cut(kv, "=")
			r.outputs[k] = v
		}
	}
	if err != nil {
		t.Fatalf("act %s: %v\n--- workflow run:\n%s\n--- act output:\n%s", filepath.Base(payload), err, w.workflow, out)
	}
	return r
}

// labelled lists Docker containers (all states), volumes and networks labelled with env.
func labelled(t *testing.T, tl tools, env string) []string {
	t.Helper()
	filter := "label=sindri.dev/env=" + env
	var left []string
	for _, args := range [][]string{
		{"ps", "-a", "-q", "--filter", filter},
		{"volume", "ls", "-q", "--filter", filter},
		{"network", "ls", "-q", "--filter", filter},
	} {
		for _, id := range strings.Fields(run(t, ".", tl.docker, args...)) {
			left = append(left, args[0]+" "+id)
		}
	}
	return left
}

// removeLabelled removes whatever a failed run left behind for env (containers, then
// networks and volumes). It runs on its own context: the test's may be gone.
func removeLabelled(tl tools, env string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	filter := "label=sindri.dev/env=" + env
	for _, kind := range []struct{ list, rm []string }{
		{[]string{"ps", "-a", "-q"}, []string{"rm", "-f", "-v"}},
		{[]string{"network", "ls", "-q"}, []string{"network", "rm"}},
		{[]string{"volume", "ls", "-q"}, []string{"volume", "rm", "-f"}},
	} {
		out, err := exec.CommandContext(ctx, tl.docker, append(kind.list, "--filter", filter)...).Output()
		if err != nil {
			continue
		}
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			_ = exec.CommandContext(ctx, tl.docker, append(kind.rm, ids...)...).Run()
		}
	}
}

func containerOptions(hostNet bool, cache string) string {
	opts := fmt.Sprintf("-v %s:%s", cache, cache)
	if hostNet {
		opts = "--network host " + opts
	}
	return opts
}
