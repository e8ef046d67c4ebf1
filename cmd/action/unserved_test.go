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

// `local deploy` of a config for a provider this binary was not built with fails at once,
// naming what is available, and publishes nothing. It used to wait for the whole timeout
// (10 minutes here) and end with "context deadline exceeded". The provider is the first of
// the guide's examples that is not built in.
func TestLocalDeployOfUnservedProviderFailsAtOnce(t *testing.T) {
	needHeavy(t)
	t.Parallel()
	var name string
	for _, n := range []string{"e2b", "northflank", "kubernetes", "devpod"} {
		if _, ok := builtin.Lookup(n); !ok {
			name = n
			break
		}
	}
	if name == "" {
		t.Skip("every provider of the guide is built in")
	}
	cfg := filepath.Join("testdata", "shared", "fixtures", "guide-examples", name+".sindri.yaml")
	available := strings.Join(builtin.Names(), ", ")
	for _, verb := range []string{"deploy", "destroy"} {
		cmd := exec.Command(suite.bin, "local", verb, "-c", cfg, "-timeout", "10m")
		cmd.Dir = filepath.Join("..", "..")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("local %s: %v, want exit status 1\n%s", verb, err, out.String())
		}
		if want := "provider " + name + " is not available here; available: " + available + "."; !strings.Contains(out.String(), want) {
			t.Errorf("local %s output lacks %q:\n%s", verb, want, out.String())
		}
		if strings.Contains(out.String(), "deadline exceeded") {
			t.Errorf("local %s waited for its deadline:\n%s", verb, out.String())
		}
	}
}
