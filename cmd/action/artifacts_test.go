package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestWriteArtifacts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		artifacts map[string]string
		prepare   func(t *testing.T, dir string) // before writing; dir may not exist yet
		wantErr   string                         // empty: success
		wantFiles []string                       // relative to dir, in order
	}{
		{"creates the directory", map[string]string{"docker-compose.yml": "a", "fly.toml": "b"}, nil, "", []string{"docker-compose.yml", "fly.toml"}},
		{"subdirectories", map[string]string{"k8s/deploy.yaml": "a"}, nil, "", []string{"k8s/deploy.yaml"}},
		{"replaces a file and its mode", map[string]string{"docker-compose.yml": "new"}, func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "docker-compose.yml"), "old", 0o600)
		}, "", []string{"docker-compose.yml"}},
		{"absolute", map[string]string{"/etc/passwd": "x", "ok.yml": "y"}, nil, "absolute names are refused", nil},
		{"dot dot", map[string]string{"../x.yml": "x"}, nil, `names with ".." are refused`, nil},
		{"dot dot inside", map[string]string{"a/../../x.yml": "x"}, nil, `names with ".." are refused`, nil},
		{"empty", map[string]string{"": "x"}, nil, "empty name", nil},
		{"symlinked file", map[string]string{"docker-compose.yml": "x"}, func(t *testing.T, dir string) {
			mustSymlink(t, filepath.Join(t.TempDir(), "elsewhere.yml"), filepath.Join(dir, "docker-compose.yml"))
		}, "docker-compose.yml is a symlink", nil},
		{"symlinked directory", map[string]string{"k8s/deploy.yaml": "x"}, func(t *testing.T, dir string) {
			mustSymlink(t, t.TempDir(), filepath.Join(dir, "k8s"))
		}, "k8s is a symlink", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out", "plan")
			if tc.prepare != nil {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				tc.prepare(t, dir)
			}
			got, err := writeArtifacts(dir, tc.artifacts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "nothing written") {
					t.Fatalf("writeArtifacts = %v, want an error saying %q and that nothing was written", err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("wrote %v despite the refusal", got)
				}
				if entries, _ := os.ReadDir(dir); tc.prepare == nil && len(entries) > 0 {
					t.Errorf("the directory holds %d entries after a refusal", len(entries))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range tc.wantFiles {
				want = append(want, filepath.Join(dir, f))
			}
			if !slices.Equal(got, want) {
				t.Errorf("written = %v, want %v", got, want)
			}
			for _, f := range tc.wantFiles {
				p := filepath.Join(dir, f)
				checkMode(t, p, 0o644)
				if b, _ := os.ReadFile(p); string(b) != tc.artifacts[f] {
					t.Errorf("%s holds %q, want %q", f, b, tc.artifacts[f])
				}
			}
			if tc.prepare == nil {
				checkMode(t, dir, 0o755)
			}
		})
	}
}

func mustWrite(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %v, want %v", path, got, want)
	}
}

func TestLocalArtifactsOnlyWithPlan(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"local", "deploy", "-c", "x.yaml", "--artifacts", t.TempDir()}, func(string) string { return "" }, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "-artifacts works with plan only") {
		t.Errorf("exit %d, stderr %q; want 2 and a message that -artifacts works with plan only", code, stderr.String())
	}
}

// TestLocalPlanArtifacts runs the built binary as the README's demo does, against
// examples/demo and the real engine, and checks the compose file it writes: the plan's own
// artifact, byte for byte, with the promised modes, and accepted by the real docker-compose.
func TestLocalPlanArtifacts(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "plan")
	cmd := exec.Command(suite.bin, "local", "plan", "-c", "examples/demo/sindri.yaml", "--artifacts", dir)
	cmd.Dir = filepath.Join("..", "..")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("local plan: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	path := filepath.Join(dir, "docker-compose.yml")
	if !strings.Contains(stdout.String(), "\nwrote "+path+"\n") {
		t.Errorf("stdout does not print the path written (%s):\n%s", path, stdout.String())
	}
	m := regexp.MustCompile(`(?m)^  plan=(.*)$`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no plan output in:\n%s", stdout.String())
	}
	var plan providers.Plan
	if err := json.Unmarshal([]byte(m[1]), &plan); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := plan.Artifacts["docker-compose.yml"]; want == "" || string(got) != want {
		t.Errorf("%s =\n%s\nwant the plan's artifact:\n%s", path, got, want)
	}
	checkMode(t, dir, 0o755)
	checkMode(t, path, 0o644)
	composeConfig(t, path)
}

// composeConfig checks a compose file with the real `docker-compose config`, and skips when
// the binary is absent.
func composeConfig(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("docker-compose is not installed: the written compose file was not checked with `docker-compose config`")
	}
	out, err := exec.Command(bin, "-f", path, "config", "-q").CombinedOutput()
	if err == nil {
		return
	}
	// Tell the cause apart: docker-compose v1 predates the Compose Spec's top-level name key.
	text, _ := os.ReadFile(path)
	stripped := filepath.Join(t.TempDir(), "without-name.yml")
	mustWrite(t, stripped, regexp.MustCompile(`(?m)^name: .*\n`).ReplaceAllString(string(text), ""), 0o644)
	if out2, err2 := exec.Command(bin, "-f", stripped, "config", "-q").CombinedOutput(); err2 != nil {
		t.Fatalf("docker-compose config rejects %s: %v\n%s\n(and without its top-level name: %s)", path, err, out, out2)
	}
	t.Errorf("docker-compose config rejects %s only for its top-level name key, which this docker-compose (v1) does not know; the rest is valid:\n%s", path, out)
}

// TestLocalPlanArtifactsKubernetes: `local plan -artifacts DIR` of the guide's kubernetes
// example, on a machine with no kubeconfig, writes the manifests Deploy would apply
// (manifests.yaml, the plan's own artifact) and says the cluster was not observed.
func TestLocalPlanArtifactsKubernetes(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "plan")
	cmd := exec.Command(suite.bin, "local", "plan", "-c", "testdata/shared/fixtures/guide-examples/kubernetes.sindri.yaml", "--artifacts", dir)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "KUBECONFIG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("local plan: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(dir, "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: Namespace", "kind: PersistentVolumeClaim", "storage: 10Gi", "storageClassName: fast-ssd",
		"kind: Deployment", "memory: 4Gi", "type: Recreate", "kind: Service", "targetPort: ssh", "namespace: dev-environments"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("manifests.yaml lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(stdout.String(), "the cluster was not observed") {
		t.Errorf("the plan does not say the cluster was not observed:\n%s", stdout.String())
	}
}
