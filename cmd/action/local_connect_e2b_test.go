package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
)

// `local connect` against the E2B fake, across separate local calls: deploy makes the
// sandbox, connect prints its way in, `-- CMD` runs the command through the sandbox's envd
// (E2B_SANDBOX_URL routes it to the fake) and exits with its exit code, and a stopped
// (paused) environment is refused.
func TestLocalConnectE2B(t *testing.T) {
	t.Parallel()
	const key = "e2b_local_connect_key"
	f := e2btest.New(t, key)
	vars := map[string]string{"E2B_API_URL": f.URL(), "E2B_SANDBOX_URL": f.URL(), "E2B_API_KEY": key, "SINDRI_E2B_POLL_INTERVAL": "10ms"}
	getenv := func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	call := func(args ...string) (int, string, string) {
		t.Helper()
		return localWith(t, getenv, args...)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sindri.yaml")
	env := "connect-e2b-e2e"
	if err := os.WriteFile(cfg, []byte("version: \"3.0\"\nname: "+env+"\ndeployment:\n  provider: e2b\n"+
		"extensions:\n  profile: minimal\nproviders:\n  e2b:\n    timeout: 600\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := call("deploy", "-c", cfg); code != 0 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
	ids := f.Sandboxes(env)
	if len(ids) != 1 {
		t.Fatalf("sandboxes of %s: %v, want 1", env, ids)
	}
	if code, out, errOut := call("connect", "-c", cfg); code != 0 || !strings.Contains(out, "e2b sandbox connect "+ids[0]) {
		t.Errorf("connect: exit %d:\n%s%s", code, out, errOut)
	}
	if code, out, errOut := call("connect", "-c", cfg, "--", "echo", "hi"); code != 0 || out != "hi\n" || errOut != "" {
		t.Errorf("connect -- echo hi: exit %d, stdout %q, stderr %q; want 0, \"hi\\n\"", code, out, errOut)
	}
	if code, out, _ := call("connect", "-c", cfg, "--", "exit", "4"); code != 4 || out != "" {
		t.Errorf("connect -- exit 4: exit %d, stdout %q; want the command's 4", code, out)
	}
	if code, out, errOut := call("stop", "-c", cfg); code != 0 {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := call("connect", "-c", cfg, "--", "echo", "hi"); code != 1 || !strings.Contains(errOut, "is paused") {
		t.Errorf("connect -- CMD to a stopped environment: exit %d, stderr %q", code, errOut)
	}
	if n := f.API.Count("POST " + e2btest.EnvdPath); n != 2 {
		t.Errorf("envd got %d commands, want 2", n)
	}
}
