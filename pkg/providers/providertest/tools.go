package providertest

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var tools sync.Map // tool name -> *toolPath

type toolPath struct {
	once sync.Once
	path string
	err  error
}

// ToolBinary returns the external tool a heavy test runs (packer, devpod): the path in the
// variable envVar (make test sets SINDRI_<TOOL>_BIN), else what scripts/tools.sh <tool>
// prints, which builds or installs it once into a cache folder. The script is found from a
// provider's package (pkg/providers/<name>). It skips the test without SINDRI_HEAVY=1, naming
// the variable and the script, and fails it when the script fails.
func ToolBinary(t testing.TB, tool, envVar string) string {
	t.Helper()
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skipf("runs the real %s: set SINDRI_HEAVY=1 (the binary comes from %s or scripts/tools.sh %s)", tool, envVar, tool)
	}
	v, _ := tools.LoadOrStore(tool, &toolPath{})
	tp := v.(*toolPath)
	tp.once.Do(func() {
		if p := os.Getenv(envVar); p != "" {
			tp.path = p
			return
		}
		out, err := exec.Command("../../../scripts/tools.sh", tool).Output()
		tp.path, tp.err = strings.TrimSpace(string(out)), err
	})
	if tp.err != nil {
		t.Fatalf("scripts/tools.sh %s: %v", tool, tp.err)
	}
	return tp.path
}
