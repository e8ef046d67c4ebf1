package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `local connect` on the real devpod and its docker backend, across separate local calls (as
// a user types them): deploy records the workspace in the kept devpod home, connect prints
// devpod ssh, `-- CMD` runs the command in the workspace and exits with its own exit code.
func TestLocalConnectDevPod(t *testing.T) {
	needHeavy(t)
	bin := os.Getenv("SINDRI_DEVPOD_BIN")
	if bin == "" {
		out, err := exec.Command("../../scripts/tools.sh", "devpod").Output()
		if err != nil {
			t.Fatalf("scripts/tools.sh devpod: %v", err)
		}
		bin = strings.TrimSpace(string(out))
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "devpod-home")
	getenv := func(k string) string {
		switch k {
		case "SINDRI_DEVPOD_HOME":
			return home
		case "PATH":
			return filepath.Dir(bin) + ":" + os.Getenv("PATH")
		}
		return os.Getenv(k)
	}
	call := func(args ...string) (int, string, string) {
		t.Helper()
		return localWith(t, getenv, args...)
	}
	cfg := filepath.Join(dir, "sindri.yaml")
	env := "connect-devpod-e2e"
	if err := os.WriteFile(cfg, []byte("version: \"3.0\"\nname: "+env+"\ndeployment:\n  provider: devpod\n  image: sindri-test/devpod:1"+
		"\nextensions:\n  profile: minimal\nproviders:\n  devpod:\n    type: docker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code, out, errOut := call("destroy", "-c", cfg); code != 0 {
			t.Errorf("destroy: exit %d\n%s%s", code, out, errOut)
		}
	})
	if code, out, errOut := call("deploy", "-c", cfg); code != 0 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := call("connect", "-c", cfg)
	if code != 0 || !strings.Contains(out, "DEVPOD_HOME="+home+" devpod ssh "+env) {
		t.Errorf("connect: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = call("connect", "-c", cfg, "--", "sh", "-c", "echo in $PWD; exit 3")
	if code != 3 || out != "in /alt/home/developer/workspace\n" {
		t.Errorf("connect -- CMD: exit %d, stdout %q, stderr %q; want 3 and the workspace folder", code, out, errOut)
	}
}
