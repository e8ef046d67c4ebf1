package docker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/internal/testdocker"
	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

const (
	image1 = "sindri-test/hello:1"
	image2 = "sindri-test/hello:2"
)

// secret is a test Revealer whose printed forms are redacted.
type secret string

func (s secret) Reveal() string               { return string(s) }
func (s secret) String() string               { return "[redacted]" }
func (s secret) GoString() string             { return "[redacted]" }
func (s secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

var (
	engineOnce sync.Once
	engineErr  error
)

// engineHost is the engine the tests use: DOCKER_HOST when set, else the default socket.
func engineHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return client.DefaultDockerHost
}

// needEngine fails the test when the engine is unreachable or the test images cannot be built;
// it skips only when SINDRI_SKIP_DOCKER=1 is set explicitly.
func needEngine(t testing.TB) {
	t.Helper()
	if os.Getenv("SINDRI_SKIP_DOCKER") == "1" {
		t.Skip("SINDRI_SKIP_DOCKER=1: real-engine tests skipped")
	}
	engineOnce.Do(func() { engineErr = prepareEngine() })
	if engineErr != nil {
		t.Fatalf("Docker engine at %s not usable (set SINDRI_SKIP_DOCKER=1 to skip on purpose): %v", engineHost(), engineErr)
	}
}

func prepareEngine() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cli, err := client.New(client.WithHost(engineHost()), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	defer pcancel()
	if _, err := cli.Ping(pctx, client.PingOptions{}); err != nil {
		return err
	}
	missing := false
	for _, img := range []string{image1, image2} {
		if _, err := cli.ImageInspect(ctx, img); err != nil {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	cmd := exec.CommandContext(ctx, "bash", "../../../scripts/build-test-image.sh")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/build-test-image.sh: %v\n%s", err, out)
	}
	return nil
}

// rawClient is an engine client for assertions and for making foreign resources.
func rawClient(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.New(client.WithHost(engineHost()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func newProvider(t testing.TB, cfg docker.Config) *docker.Provider {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = engineHost()
	}
	p, err := docker.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// uniqueEnv returns a fresh environment name.
func uniqueEnv(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "dt-" + prefix + "-" + hex.EncodeToString(b)
}

// freePort returns a host port for a container to publish; see testports for why it is
// not a port-0 bind.
func freePort(t testing.TB) int {
	t.Helper()
	return testports.Free(t)
}

// newSpec returns a deployable spec for env with the test image; mutate adjusts the config.
func newSpec(env, image string, mutate func(*config.Config)) *providers.Spec {
	c := &config.Config{Version: "3.0", Name: env,
		Deployment: config.Deployment{Provider: config.ProviderDocker, Image: image}}
	if mutate != nil {
		mutate(c)
	}
	return &providers.Spec{
		Env: env, Config: c, Image: image,
		Labels: map[string]string{
			providers.LabelRepo: "sindri/deploy-test",
			providers.LabelPR:   "7",
			providers.LabelSHA:  "0123456789abcdef",
		},
		Options: providers.Options{Timeout: 30 * time.Second},
	}
}

// deployed deploys s and registers a Destroy cleanup.
func deployed(t *testing.T, p *docker.Provider, s *providers.Spec, r providers.Reporter) *providers.Deployment {
	t.Helper()
	destroyOnCleanup(t, p, s)
	d, err := p.Deploy(testCtx(t), s, r)
	if err != nil {
		t.Fatalf("Deploy(%s): %v", s.Env, err)
	}
	return d
}

func destroyOnCleanup(t *testing.T, p *docker.Provider, s *providers.Spec) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Destroy(ctx, s); err != nil {
			t.Errorf("cleanup Destroy(%s): %v", s.Env, err)
		}
	})
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// httpGet fetches url and returns the body; it fails the test on a non-200 answer, or when no
// answer comes within getRetryFor. Transport errors (refused, reset, EOF) are retried: a
// container reported ready may still be a moment from serving on a loaded machine (Docker's
// proxy accepts before the app inside listens).
func httpGet(t *testing.T, url string) string {
	t.Helper()
	const getRetryFor = 5 * time.Second
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(getRetryFor)
	for {
		resp, err := c.Get(url)
		if err != nil {
			if time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			t.Fatalf("GET %s: %v (retried for %s)", url, err, getRetryFor)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
		}
		if err != nil {
			t.Fatalf("GET %s: reading the body: %v", url, err)
		}
		return string(b)
	}
}

// deployFailsCleanly deploys s (a Destroy is registered for cleanup), wants an error matching
// want whose text names each of mention, and nothing of s's environment left on the engine.
func deployFailsCleanly(t *testing.T, p *docker.Provider, cli *client.Client, s *providers.Spec, want error, mention ...string) {
	t.Helper()
	destroyOnCleanup(t, p, s)
	_, err := p.Deploy(testCtx(t), s, nil)
	wantErrIs(t, err, want)
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not name %s", err, m)
		}
	}
	if left := leftovers(t, cli, s.Env); len(left) != 0 {
		t.Errorf("leftovers after failed Deploy: %v", left)
	}
}

// leftovers lists resources still carrying env's labels.
func leftovers(t testing.TB, cli *client.Client, env string) []string {
	t.Helper()
	return testdocker.Leftovers(t, cli, env)
}

// logReporter records every line and step so tests can check that no secret leaks.
type logReporter struct {
	mu    sync.Mutex
	lines []string
}

func (r *logReporter) Log(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
}

func (r *logReporter) Progress(step string, done, total int) {
	r.Log("progress " + step + " " + strconv.Itoa(done) + "/" + strconv.Itoa(total))
}

func (r *logReporter) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one wrapping %v", err, target)
	}
}
