package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitFile = "systemd/sindri-executor.service"

// TestSystemdUnitVerifies runs systemd-analyze verify on the unit, with ExecStart pointed at an
// executable that exists here (verify checks it). verify exits 0 on an unknown key, so any
// output at all fails the test.
func TestSystemdUnitVerifies(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian: systemd); the unit is not verified")
	}
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const bin = "/usr/local/bin/sindri-executor"
	if !strings.Contains(string(b), "ExecStart="+bin+" ") {
		t.Fatalf("%s: ExecStart does not run %s", unitFile, bin)
	}
	for _, want := range []string{"KillSignal=SIGTERM", "TimeoutStopSec=", "RestartPreventExitStatus=2"} {
		if !strings.Contains(string(b), "\n"+want) {
			t.Errorf("%s lacks %s", unitFile, want)
		}
	}
	unit := filepath.Join(t.TempDir(), filepath.Base(unitFile))
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), bin, self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}
}
