package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// The end-to-end suite builds the action binary once and runs it as a subprocess with the
// GitHub runner's environment contract, against a githubtest fake of the API, the embedded bus
// and the real Docker engine. It needs SINDRI_HEAVY=1 (the lead's `make test` sets it); with it
// set, an unusable engine or a failed build fails every e2e test instead of skipping it.

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const testImage = "sindri-test/hello:1"

// suite is what TestMain prepared for the heavy tests.
var suite struct {
	heavy  bool
	bin    string // the action binary
	err    error  // why the heavy tests cannot run
	engine string // DOCKER_HOST or the default socket
}

func TestMain(m *testing.M) {
	flag.Parse()
	suite.heavy = os.Getenv("SINDRI_HEAVY") == "1"
	suite.engine = os.Getenv("DOCKER_HOST")
	if suite.engine == "" {
		suite.engine = client.DefaultDockerHost
	}
	var dir string
	if suite.heavy {
		var err error
		if dir, err = os.MkdirTemp("", "sindri-e2e-bin-*"); err == nil {
			suite.bin, suite.err = prepare(dir)
		} else {
			suite.err = err
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// prepare builds the action binary into dir and makes sure the engine answers and the test
// image exists (building it with scripts/build-test-image.sh when it does not).
func prepare(dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "sindri-action")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", e2eLDFlags, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	cli, err := client.New(client.WithHost(suite.engine), client.WithAPIVersionNegotiation())
	if err != nil {
		return "", fmt.Errorf("docker client: %w", err)
	}
	defer cli.Close()
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	defer pcancel()
	if _, err := cli.Ping(pctx, client.PingOptions{}); err != nil {
		return "", fmt.Errorf("Docker engine at %s: %w", suite.engine, err)
	}
	if _, err := cli.ImageInspect(ctx, testImage); err == nil {
		return bin, nil
	}
	script := exec.CommandContext(ctx, "../../scripts/build-test-image.sh")
	if out, err := script.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build-test-image.sh: %w\n%s", err, out)
	}
	if _, err := cli.ImageInspect(ctx, testImage); err != nil {
		return "", fmt.Errorf("%s still missing after build-test-image.sh: %w", testImage, err)
	}
	return bin, nil
}

// needHeavy skips without SINDRI_HEAVY=1 and fails when the suite could not be prepared.
func needHeavy(t *testing.T) {
	t.Helper()
	if !suite.heavy {
		t.Skip("end-to-end action test: set SINDRI_HEAVY=1 (needs Docker and a go toolchain)")
	}
	if suite.err != nil {
		t.Fatalf("end-to-end suite not usable: %v", suite.err)
	}
	if suite.bin == "" {
		t.Fatal(errors.New("end-to-end suite: no binary"))
	}
}
