package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/internal/version"
	"github.com/sindri/deploy/v3/pkg/action"
)

// e2eLDFlags stamps the end-to-end binary the way make build does, so TestVersionOfBuiltBinary
// sees link-time values win over the build info.
const e2eLDFlags = "-X github.com/sindri/deploy/v3/internal/version.Version=v3.99.0-e2e -X github.com/sindri/deploy/v3/internal/version.Commit=e2e0commit"

func noEnv(string) string { return "" }

// TestHelpAfterEverySubcommand: -h, -help and --help after any command path, and `help PATH`,
// print that command's help on stdout with exit 0; a verb without help of its own (one a later
// change adds) gets its parent's.
func TestHelpAfterEverySubcommand(t *testing.T) {
	t.Parallel()
	verbs := []string{"deploy", "destroy", "stop", "start", "status", "plan", "reap"}
	for _, v := range verbs {
		if cmd, err := action.ParseCommand(v); err != nil || cmd == action.CommandAuto {
			t.Fatalf("verb %s is not a command (%v): keep this list in step with action.ParseCommand", v, err)
		}
	}
	paths := [][]string{{}, {"validate"}, {"local"}, {"version"}, {"local", "doctor"}}
	for _, v := range verbs {
		paths = append(paths, []string{"local", v})
	}
	for _, path := range paths {
		for _, form := range [][]string{
			append(append([]string{}, path...), "--help"),
			append(append([]string{}, path...), "-h"),
			append(append([]string{}, path...), "-c", "sindri.yaml", "-help"),
			append([]string{"help"}, path...),
		} {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), form, noEnv, &stdout, &stderr)
			if code != 0 || !strings.HasPrefix(stdout.String(), "usage:") || stderr.Len() != 0 {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0 and the help on stdout", form, code, firstLine(stdout.String()), stderr.String())
			}
		}
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"local", "plan", "--help"}, noEnv, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "-json") || !strings.Contains(stdout.String(), "plan asks the provider") {
		t.Errorf("local plan --help lacks the plan's own text and -json:\n%s", stdout.String())
	}
	// A "--help" after "--" is an argument, not a request for help.
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"local", "deploy", "--", "--help"}, noEnv, &stdout, &stderr); code != 2 {
		t.Errorf("local deploy -- --help: exit %d, want 2 (a stray argument)", code)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TestVersionCommand: `version` prints the binary's build (Go version from the build info), and
// -json prints the same as one object.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, noEnv, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		out := stdout.String()
		if !strings.HasPrefix(out, "sindri-action ") || !strings.Contains(out, "\ngo: "+runtime.Version()+"\n") || !strings.Contains(out, "\ncommit: ") {
			t.Errorf("%q printed %q; want the name, commit and %s", args, out, runtime.Version())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"version", "-json"}, noEnv, &stdout, &stderr); code != 0 {
		t.Fatalf("version -json: exit %d: %s", code, stderr.String())
	}
	var got version.Info
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || got.GoVersion != runtime.Version() || got.Version == "" {
		t.Errorf("version -json = %s (%v), want an object with version and go_version %s", stdout.String(), err, runtime.Version())
	}
	if code := run(context.Background(), []string{"version", "extra"}, noEnv, &stdout, &stderr); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// TestLocalJSONReportsABadConfig: -json prints one JSON object on stdout even when no job ran,
// naming the problem with its place; the people's lines go to stderr.
func TestLocalJSONReportsABadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sindri.yaml")
	if err := os.WriteFile(cfg, []byte("version: \"3.0\"\nname: Bad Name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"status", "plan"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"local", verb, "-c", cfg, "-json"}, noEnv, &stdout, &stderr)
		var got localResult
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("%s: stdout is not one JSON object (%v):\n%s", verb, err, stdout.String())
		}
		if code == 0 || got.ExitCode != code || got.Command != verb || got.Phase != "failed" || !strings.Contains(got.Error, "sindri.yaml") {
			t.Errorf("%s: exit %d, result %+v; want a failure naming sindri.yaml with the same exit code", verb, code, got)
		}
		if stderr.Len() == 0 {
			t.Errorf("%s: nothing on stderr; the people's lines belong there", verb)
		}
	}
}

// TestLocalJSONOnTheRealEngine runs the built binary's `local plan -json` and `local status
// -json` against examples/demo and the real engine: stdout is one object with the plan, and
// with the observed status of an environment that does not exist.
func TestLocalJSONOnTheRealEngine(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	for _, verb := range []string{"plan", "status"} {
		cmd := exec.Command(suite.bin, "local", verb, "-c", "examples/demo/sindri.yaml", "-env", "json-"+verb+"-probe", "-json")
		cmd.Dir = filepath.Join("..", "..")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("local %s -json: %v\nstdout:\n%s\nstderr:\n%s", verb, err, stdout.String(), stderr.String())
		}
		var got localResult
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("local %s -json: stdout is not one JSON object (%v):\n%s", verb, err, stdout.String())
		}
		if got.Command != verb || got.Environment != "json-"+verb+"-probe" || got.Provider != "docker" || got.ExitCode != 0 {
			t.Errorf("local %s -json = %+v", verb, got)
		}
		switch verb {
		case "plan":
			if got.Phase != "planned" || got.Plan == nil || len(got.Plan.Actions) == 0 {
				t.Errorf("local plan -json: phase %s, plan %+v; want planned with actions", got.Phase, got.Plan)
			}
		case "status":
			if got.Phase != "status" || got.Status == nil || got.State != got.Status.State.String() {
				t.Errorf("local status -json: phase %s, state %q, status %+v; want the observed status", got.Phase, got.State, got.Status)
			}
		}
		if !strings.Contains(stderr.String(), "▶ sindri "+verb) {
			t.Errorf("local %s -json: stderr lacks the people's lines:\n%s", verb, stderr.String())
		}
	}
}

// TestVersionOfBuiltBinary: the binary built with -ldflags -X (as make build does) prints the
// stamped version and commit, and the Go version it was built with.
func TestVersionOfBuiltBinary(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	out, err := exec.Command(suite.bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "sindri-action v3.99.0-e2e\ncommit: e2e0commit"
	if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), "\ngo: go1.") {
		t.Errorf("version printed %q, want it to start %q and name the Go version", out, want)
	}
}
