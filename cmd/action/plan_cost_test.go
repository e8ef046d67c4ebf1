package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
	"github.com/sindri/deploy/v3/pkg/providers/northflank/northflanktest"
	"github.com/sindri/deploy/v3/pkg/providers/runpod/runpodtest"
)

// TestLocalPlanPrintsEstimate runs `local plan` in process on each guide example, the cloud
// providers against their API fakes, and checks the estimate line: an hourly price running
// and stopped for fly, runpod, northflank and e2b; "free" for docker; "unknown" for kubernetes
// and devpod, which have no price table and no executor rate here (an executor's rate:
// TestPlanExecutorRate in cmd/executor).
func TestLocalPlanPrintsEstimate(t *testing.T) {
	t.Parallel()
	priced := regexp.MustCompile(`Estimated cost: [0-9.]+ USD/hour running, ([0-9.]+ USD/hour stopped|unknown when stopped), [0-9.]+ USD/month running \(`)
	unknown := regexp.MustCompile(`Estimated cost: unknown \(unknown: no price table`)
	free := regexp.MustCompile(`Estimated cost: free \(`)
	fly := flytest.New(t, flytest.Options{})
	rp := runpodtest.New(t, "rp-key")
	nf := northflanktest.New(t, "nf-token")
	eb := e2btest.New(t, "e2b-key")
	tests := []struct {
		provider string
		env      map[string]string
		want     *regexp.Regexp
	}{
		{"fly", map[string]string{"FLY_API_TOKEN": fly.Token(), "FLY_API_URL": fly.URL}, priced},
		{"runpod", map[string]string{"RUNPOD_API_KEY": "rp-key", "SINDRI_RUNPOD_API_URL": rp.URL()}, priced},
		{"northflank", map[string]string{"NORTHFLANK_API_TOKEN": "nf-token", "SINDRI_NORTHFLANK_API_URL": nf.URL()}, priced},
		{"e2b", map[string]string{"E2B_API_KEY": "e2b-key", "E2B_API_URL": eb.URL()}, priced},
		{"kubernetes", map[string]string{"KUBECONFIG": ""}, unknown},
		{"docker", map[string]string{"DOCKER_HOST": os.Getenv("DOCKER_HOST")}, free},
		{"devpod", nil, unknown}, // its Plan runs the devpod binary: SINDRI_HEAVY=1 only
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			t.Parallel()
			if tt.env == nil {
				tt.env = devpodEnv(t)
			}
			tt.env["HOME"] = t.TempDir()
			getenv := func(k string) string { return tt.env[k] }
			file := filepath.Join("..", "..", "testdata", "shared", "fixtures", "guide-examples", tt.provider+".sindri.yaml")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"local", "plan", "-c", file}, getenv, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("local plan exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			t.Log(regexp.MustCompile(`Estimated cost: .*`).FindString(stdout.String()))
			if !tt.want.Match(stdout.Bytes()) {
				t.Fatalf("local plan output lacks %s:\n%s", tt.want, stdout.String())
			}
		})
	}
}

// devpodEnv is the environment of a devpod plan: the devpod binary scripts/tools.sh builds
// (once). Without SINDRI_HEAVY=1 the test is skipped.
func devpodEnv(t *testing.T) map[string]string {
	t.Helper()
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("devpod plan needs the devpod binary: SINDRI_HEAVY=1")
	}
	bin, err := exec.Command("../../scripts/tools.sh", "devpod").Output()
	if err != nil {
		t.Fatalf("tools.sh devpod: %v", err)
	}
	return map[string]string{"SINDRI_DEVPOD_BINARY": strings.TrimSpace(string(bin))}
}
