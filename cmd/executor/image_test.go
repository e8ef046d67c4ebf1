package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// docker runs the docker CLI and returns its trimmed stdout, failing the test on an error.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestHeavyExecutorImage builds the executor image as an operator would
// (scripts/build-executor-image.sh: FROM scratch, no registry), runs it against an embedded
// NATS server with the Docker provider and the engine's socket, and checks the packaging end
// to end: /healthz and /readyz answer, a real deploy of sindri-test/hello:1 and its destroy
// succeed, and docker stop (SIGTERM) drains: exit status 0 and the drain's two log lines.
func TestHeavyExecutorImage(t *testing.T) {
	heavy(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI")
	}
	fi, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		t.Skipf("no engine socket to hand the Docker provider: %v", err)
	}
	docker(t, "image", "inspect", "sindri-test/hello:1") // built by make test-image
	image := "sindri/executor:test-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("../../scripts/build-executor-image.sh", image).CombinedOutput(); err != nil {
		t.Fatalf("build-executor-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "image", "rm", "-f", image).Run() })
	var inspect []struct {
		Config struct {
			User       string
			Entrypoint []string
		}
	}
	if err := json.Unmarshal([]byte(docker(t, "image", "inspect", image)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	if cfg := inspect[0].Config; cfg.User != "65532:65532" || strings.Join(cfg.Entrypoint, " ") != "/usr/local/bin/sindri-executor" {
		t.Errorf("image user %q entrypoint %q, want 65532:65532 and the executor", cfg.User, cfg.Entrypoint)
	}

	b := startTestBus(t)
	addr := "127.0.0.1:" + strconv.Itoa(testports.Free(t))
	// Host network: the embedded server and the ops port are on this host's loopback.
	id := docker(t, "run", "-d", "--network", "host",
		"--group-add", strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid)),
		"-v", "/var/run/docker.sock:/var/run/docker.sock",
		"-e", "SINDRI_NATS_URL="+b.url, "-e", "SINDRI_PROVIDERS=docker",
		"-e", "SINDRI_METRICS_LISTEN="+addr, "-e", "SINDRI_DRAIN_TIMEOUT=10s", image)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", "--tail", "40", id).CombinedOutput()
			t.Logf("executor container logs:\n%s", logs)
		}
		_ = exec.Command("docker", "rm", "-f", id).Run()
	})
	get := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	for deadline := time.Now().Add(time.Minute); get("/readyz") != http.StatusOK; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within a minute (/healthz: %d)", get("/healthz"))
		}
	}
	if code := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}

	env := "image-" + strconv.Itoa(os.Getpid())
	run := func(kind jobs.Kind, closing bool) {
		t.Helper()
		j, err := jobs.New(kind, env, "docker")
		if err != nil {
			t.Fatal(err)
		}
		j.Generation, j.Repo, j.Trigger = b.bump(t, env, closing), "sindri/demo", "workflow_dispatch"
		j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: "version: \"3.0\"\nname: " + env +
			"\ndeployment:\n  provider: docker\n  image: sindri-test/hello:1\nextensions:\n  profile: minimal\n"}
		b.publish(t, j)
		if ev := b.terminal(t, j.ID, 2*time.Minute); ev.Type != events.TypeSucceeded {
			t.Fatalf("%s ended %s: %s", kind, ev.Type, dataJSON(ev))
		}
	}
	run(jobs.KindDeploy, false)
	run(jobs.KindDestroy, true)

	docker(t, "stop", "-t", "30", id) // SIGTERM, then SIGKILL after 30 s
	if code := docker(t, "inspect", "-f", "{{.State.ExitCode}}", id); code != "0" {
		t.Errorf("exit status after SIGTERM %s, want 0 (drained)", code)
	}
	logs, err := exec.Command("docker", "logs", id).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(logs), "drain started") != 1 || strings.Count(string(logs), "drain finished") != 1 {
		t.Errorf("want one drain started and one drain finished line in:\n%s", logs)
	}
}
