package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

// `local deploy` (and destroy) for a provider this binary was not built with fails at once,
// naming what is available, and publishes nothing. It used to wait for the whole timeout
// (10 minutes here) and end with "context deadline exceeded".
func TestLocalDeployOfUnservedProviderFailsAtOnce(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	const unserved = "acme"
	if _, ok := builtin.Lookup(unserved); ok {
		t.Fatalf("provider %s is built in; pick another name", unserved)
	}
	available := strings.Join(builtin.Names(), ", ")
	for _, verb := range []string{"deploy", "destroy"} {
		cmd := exec.Command(suite.bin, "local", verb, "-c", filepath.Join("examples", "demo", "sindri.yaml"), "-provider", unserved, "-timeout", "10m")
		cmd.Dir = filepath.Join("..", "..")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("local %s: %v, want exit status 1\n%s", verb, err, out.String())
		}
		if want := "provider " + unserved + " is not available here; available: " + available + "."; !strings.Contains(out.String(), want) {
			t.Errorf("local %s output lacks %q:\n%s", verb, want, out.String())
		}
		if strings.Contains(out.String(), "deadline exceeded") {
			t.Errorf("local %s waited for its deadline:\n%s", verb, out.String())
		}
	}
}
