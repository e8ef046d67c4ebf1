package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileCanary stands for the content of a file the runner can read but a pull request must
// not see: it must never reach the log, an annotation, an output or the summary.
const hostileCanary = "root:x:0:0:HOSTILE-CANARY-7f3a"

// TestE2EHostileFiles checks that a pull request cannot point the action at files outside the
// workspace (the config, .env files, file and fromFile secrets), cannot block it with a FIFO,
// and cannot make it print file content or process variables. Each case is refused with one
// error annotation naming the file, field or variable, and nothing is published. Without
// SINDRI_HEAVY=1 it calls run in process; with it, it runs the binary.
func TestE2EHostileFiles(t *testing.T) {
	if suite.heavy {
		needHeavy(t)
	}
	t.Parallel()
	// outsideFile writes text to a file of the runner outside the workspace and returns its path.
	outsideFile := func(r *repoSim, name, text string) string {
		p := filepath.Join(r.dir, "outside", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	symlink := func(r *repoSim, target, rel string) {
		p := filepath.Join(r.ws, rel)
		_ = os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		extra  string // appended to the config
		inputs map[string]string
		env    map[string]string
		setup  func(r *repoSim)
		want   []string // fragments of the one error annotation
		leaks  []string // must appear nowhere in what the action wrote
	}{
		{
			name: "config is a symlink to a valid config outside the workspace",
			setup: func(r *repoSim) {
				symlink(r, outsideFile(r, "sindri.yaml", r.config("")), "sindri.yaml")
			},
			want: []string{"::error file=sindri.yaml::", "config file sindri.yaml resolves", "outside the workspace"},
		},
		{
			name:  "config is a symlink to /etc/passwd",
			setup: func(r *repoSim) { symlink(r, "/etc/passwd", "sindri.yaml") },
			want:  []string{"::error file=sindri.yaml::", "outside the workspace"},
			leaks: []string{"root:x:0:0", "/bin/"},
		},
		{
			name:   "config input leads through a symlinked directory out of the workspace",
			inputs: map[string]string{"config": "deploy/sindri.yaml"},
			setup: func(r *repoSim) {
				outsideFile(r, "sindri.yaml", hostileCanary+"\n")
				symlink(r, filepath.Join(r.dir, "outside"), "deploy")
			},
			want:  []string{"::error file=deploy/sindri.yaml::", "outside the workspace"},
			leaks: []string{hostileCanary, "HOSTILE"},
		},
		{
			name: "config is a FIFO",
			setup: func(r *repoSim) {
				_ = os.Remove(filepath.Join(r.ws, "sindri.yaml"))
				if err := syscall.Mkfifo(filepath.Join(r.ws, "sindri.yaml"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"::error file=sindri.yaml::", "not a regular file", "named pipe"},
		},
		{
			name: "config value is not echoed whole",
			setup: func(r *repoSim) {
				r.writeFile("sindri.yaml", strings.Replace(r.config(""), "memory: 256MB", "memory: "+hostileCanary+"-and-the-rest-of-the-line", 1))
			},
			want:  []string{"line=7", "deployment.resources.memory: invalid size", "(55 bytes)"},
			leaks: []string{"HOSTILE-CANARY", "rest-of-the-line"},
		},
		{
			name: "fromFile is a symlink outside the workspace",
			extra: `secrets:
  - name: API_KEY
    source: env
    fromFile: keys/api
    required: true
`,
			setup: func(r *repoSim) {
				_ = os.MkdirAll(filepath.Join(r.ws, "keys"), 0o755)
				symlink(r, outsideFile(r, "api", hostileCanary), "keys/api")
			},
			want:  []string{"::error file=sindri.yaml::", "secret API_KEY (env)", `fromFile "keys/api"`, "outside the workspace"},
			leaks: []string{hostileCanary, "HOSTILE"},
		},
		{
			name: "file secret path is absolute outside the workspace",
			extra: `secrets:
  - name: CA
    source: file
    path: /etc/passwd
    mountPath: /secrets/ca
    required: true
`,
			want:  []string{"::error file=sindri.yaml::", "secret CA (file)", `path "/etc/passwd"`, "outside the workspace"},
			leaks: []string{"root:x:0:0"},
		},
		{
			name: ".env is a symlink outside the workspace",
			extra: `secrets:
  - name: LEAKED
    source: env
    required: true
`,
			setup: func(r *repoSim) { symlink(r, outsideFile(r, "env", "LEAKED="+hostileCanary+"\n"), ".env") },
			want:  []string{"::error file=sindri.yaml::", "secret LEAKED (env)", ".env", "outside the workspace"},
			leaks: []string{hostileCanary, "HOSTILE"},
		},
		{
			name: "file secret path names an undeclared variable",
			extra: `secrets:
  - name: CERT
    source: file
    path: ${SINDRI_HOSTILE_VAR}/cert.pem
    mountPath: /secrets/cert.pem
    required: true
`,
			env:   map[string]string{"SINDRI_HOSTILE_VAR": hostileCanary},
			want:  []string{"::error file=sindri.yaml::", "secret CERT (file)", "variable SINDRI_HOSTILE_VAR is not declared"},
			leaks: []string{hostileCanary, "HOSTILE-CANARY"},
		},
		{
			name: "file secret path names the GitHub token",
			extra: `secrets:
  - name: CERT
    source: file
    path: /x/${GITHUB_TOKEN}/cert.pem
    mountPath: /secrets/cert.pem
    required: true
`,
			setup: func(r *repoSim) { r.extraEnv["GITHUB_TOKEN"] = r.token },
			want:  []string{"::error file=sindri.yaml::", "variable GITHUB_TOKEN is not declared"},
		},
		{
			name: "file secret path names the token input",
			extra: `secrets:
  - name: CERT
    source: file
    path: ${INPUT_GITHUB-TOKEN}
    mountPath: /secrets/cert.pem
    required: true
`,
			want: []string{"::error file=sindri.yaml::", "secret CERT (file)", "must be followed by a variable name"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t, "")
			if tc.extra != "" {
				r.writeFile("sindri.yaml", r.config(tc.extra))
			}
			for k, v := range tc.env {
				r.extraEnv[k] = v
			}
			if tc.setup != nil {
				tc.setup(r)
			}
			start := time.Now()
			done := make(chan *result, 1)
			go func() { done <- r.invoke("pull_request", prPayload(t, "opened", shaOpened), tc.inputs) }()
			var res *result
			select {
			case res = <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("the action still runs after %s: it is blocked", time.Since(start).Round(time.Second))
			}
			if res.code == 0 {
				t.Errorf("exit 0, want non-zero")
			}
			errs := res.annotations("error")
			if len(errs) != 1 {
				t.Fatalf("%d error annotations, want exactly 1:\n%s", len(errs), r.redact(strings.Join(errs, "\n")))
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("error annotation %q does not contain %q", r.redact(errs[0]), w)
				}
			}
			// The token is registered with the runner's masker (::add-mask::) and nowhere else.
			var kept []string
			for _, l := range strings.Split(res.stdout, "\n") {
				if !strings.HasPrefix(l, "::add-mask::") {
					kept = append(kept, l)
				}
			}
			all := strings.Join(kept, "\n") + res.stderr + res.summary + strings.Join(mapValues(res.outputs), "\n")
			for _, leak := range append(tc.leaks, r.token) {
				if strings.Contains(all, leak) {
					t.Errorf("the action wrote %q", leak)
				}
			}
			if strings.Contains(res.stdout, "::group::sindri") || res.outputs["job-id"] != "" {
				t.Errorf("a job was published (job-id %q)", res.outputs["job-id"])
			}
			if c := r.gh.Comments(e2ePR); len(c) != 0 {
				t.Errorf("%d comments, want none", len(c))
			}
			if d := r.gh.Deployments(); len(d) != 0 {
				t.Errorf("%d deployments, want none", len(d))
			}
			if r.inProcess {
				return
			}
			if left := leftovers(t, r.env()); len(left) > 0 {
				t.Errorf("created in Docker: %v", left)
			}
		})
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestValidateRefusesFIFO checks that `sindri-action validate -c` on a FIFO reports it at
// once instead of waiting for a writer, and that a file that is not a config is quoted only as
// a short excerpt.
func TestValidateRefusesFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "sindri.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	notConfig := filepath.Join(dir, "passwd")
	if err := os.WriteFile(notConfig, []byte(hostileCanary+":/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		code       int
		want       string
	}{
		{"fifo", fifo, 2, "not a regular file"},
		{"not a config", notConfig, 1, "expected a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"validate", "-c", tc.file}, func(string) string { return "" }, &stdout, &stderr)
			}()
			var code int
			select {
			case code = <-done:
			case <-ctx.Done():
				t.Fatal("validate blocked")
			}
			out := stdout.String() + stderr.String()
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output %q; want exit %d and %q", code, out, tc.code, tc.want)
			}
			for _, leak := range []string{"HOSTILE-CANARY", "daemon", "/bin/bash"} {
				if strings.Contains(out, leak) {
					t.Errorf("validate printed %q: %s", leak, out)
				}
			}
		})
	}
}
