package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// TestHeavyExecutorImage builds the executor image as an operator would
// (scripts/build-executor-image.sh: FROM scratch, no registry), runs it through testcontainers-go
// against an embedded NATS server with the Docker provider and the engine's socket, and checks
// the packaging end to end: /healthz and /readyz answer, a real deploy of sindri-test/hello:1 and
// its destroy succeed, and a stop (SIGTERM) drains: exit status 0 and the drain's two log lines.
func TestHeavyExecutorImage(t *testing.T) {
	heavy(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI (scripts/build-executor-image.sh builds with it)")
	}
	fi, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		t.Skipf("no engine socket to hand the Docker provider: %v", err)
	}
	testcontainersEnv(t)
	ctx := t.Context()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	if _, err := cli.ImageInspect(ctx, "sindri-test/hello:1"); err != nil {
		t.Fatalf("image sindri-test/hello:1 (make test-image builds it): %v", err)
	}
	image := "sindri/executor:test-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("../../scripts/build-executor-image.sh", image).CombinedOutput(); err != nil {
		t.Fatalf("build-executor-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), image, client.ImageRemoveOptions{Force: true})
	})
	inspect, err := cli.ImageInspect(ctx, image)
	if err != nil || inspect.Config == nil {
		t.Fatalf("image inspect: %v", err)
	}
	if cfg := inspect.Config; cfg.User != "65532:65532" || strings.Join(cfg.Entrypoint, " ") != "/usr/local/bin/sindri-executor" {
		t.Errorf("image user %q entrypoint %q, want 65532:65532 and the executor", cfg.User, cfg.Entrypoint)
	}

	b := startTestBus(t)
	port := testports.Free(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// Host network: the embedded server and the ops port are on this host's loopback. The image
	// is the one just built (present locally, so nothing is pulled).
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: image,
			Env: map[string]string{"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "docker",
				"SINDRI_METRICS_LISTEN": addr, "SINDRI_DRAIN_TIMEOUT": "10s"},
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.NetworkMode = "host"
				hc.GroupAdd = []string{strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid))}
				hc.Binds = []string{"/var/run/docker.sock:/var/run/docker.sock"}
			},
			WaitingFor: wait.ForHTTP("/readyz").WithPort(strconv.Itoa(port) + "/tcp").
				WithPollInterval(100 * time.Millisecond).WithStartupTimeout(time.Minute),
		},
		Started: true,
	})
	testcontainers.CleanupContainer(t, ctr)
	t.Cleanup(func() {
		if t.Failed() && ctr != nil {
			t.Logf("executor container logs (last 40 lines):\n%s", lastLines(containerLogs(t, ctr), 40))
		}
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
	if err != nil {
		t.Fatalf("executor container: /readyz not 200 within a minute (/healthz: %d): %v", get("/healthz"), err)
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

	stop := 30 * time.Second // SIGTERM (the image sets no other stop signal), then SIGKILL after 30 s
	if err := ctr.Stop(ctx, &stop); err != nil {
		t.Fatalf("stop: %v", err)
	}
	state, err := ctr.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if state.ExitCode != 0 {
		t.Errorf("exit status after SIGTERM %d, want 0 (drained)", state.ExitCode)
	}
	logs := containerLogs(t, ctr)
	if strings.Count(logs, "drain started") != 1 || strings.Count(logs, "drain finished") != 1 {
		t.Errorf("want one drain started and one drain finished line in:\n%s", logs)
	}
}

// testcontainersEnv sets what testcontainers-go needs on this machine when the caller has not
// (make test and .ci/run export both): no Ryuk reaper (its image cannot be pulled; each test
// removes its own containers) and the loopback address as the containers' host.
func testcontainersEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
}

// containerLogs returns the container's stdout and stderr read through the engine's API.
func containerLogs(t *testing.T, ctr testcontainers.Container) string {
	t.Helper()
	rc, err := ctr.Logs(context.Background())
	if err != nil {
		t.Errorf("container logs: %v", err)
		return ""
	}
	defer rc.Close()
	out, err := io.ReadAll(rc)
	if err != nil {
		t.Errorf("container logs: %v", err)
	}
	return string(out)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
