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
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// heavyTool skips without SINDRI_HEAVY=1 (saying what the test would use), else returns the
// path scripts/tools.sh prints for tool, which builds or installs it once.
func heavyTool(t *testing.T, tool, what string) string {
	t.Helper()
	if os.Getenv("SINDRI_HEAVY") != "1" {
		t.Skip("SINDRI_HEAVY=1 runs this test against " + what)
	}
	out, err := exec.Command("bash", "../../../scripts/tools.sh", tool).Output()
	if err != nil {
		t.Fatalf("scripts/tools.sh %s: %v", tool, err)
	}
	return strings.TrimSpace(string(out))
}

// caddyDockerfile packages the static Caddy binary of scripts/tools.sh into a FROM-scratch image
// (built locally with the classic builder: nothing is pulled). Caddy keeps its autosave and
// certificate storage under HOME and the XDG folders, inside the container.
const caddyDockerfile = `FROM scratch
COPY caddy /usr/bin/caddy
ENV HOME=/data XDG_CONFIG_HOME=/data/config XDG_DATA_HOME=/data/data
ENTRYPOINT ["/usr/bin/caddy"]
`

// startCaddy builds a FROM-scratch image around Caddy (scripts/tools.sh caddy, built once),
// starts it through testcontainers-go on the host network with only its admin API configured
// on loopback, and returns the admin URL. Container and image are removed at cleanup. It skips
// without SINDRI_HEAVY=1.
func startCaddy(t *testing.T) string {
	t.Helper()
	bin := heavyTool(t, "caddy", "a real Caddy")
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" { // make test and .ci/run export both
			t.Setenv(k, v)
		}
	}
	ctx := t.Context()
	dir := t.TempDir()
	if err := os.Link(bin, filepath.Join(dir, "caddy")); err != nil {
		copyFile(t, bin, filepath.Join(dir, "caddy"))
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(caddyDockerfile), 0o600); err != nil {
		t.Fatal(err)
	}
	adminPort := testports.Free(t)
	admin := fmt.Sprintf("127.0.0.1:%d", adminPort)
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			FromDockerfile: testcontainers.FromDockerfile{
				Context: dir,
				Repo:    "sindri-test/caddy",
				Tag:     "test-" + strconv.Itoa(os.Getpid()),
				BuildOptionsModifier: func(o *client.ImageBuildOptions) {
					o.Version = build.BuilderV1 // FROM scratch needs neither BuildKit nor a registry
				},
			},
			Cmd: []string{"run", "--config", "/etc/caddy/caddy.json"},
			Files: []testcontainers.ContainerFile{{
				Reader:            strings.NewReader(`{"admin":{"listen":"` + admin + `"}}`),
				ContainerFilePath: "/etc/caddy/caddy.json",
				FileMode:          0o600,
			}},
			// Host network: the admin API, the proxy's listener and the environments' published
			// ports are all on this host's loopback.
			HostConfigModifier: func(hc *container.HostConfig) { hc.NetworkMode = "host" },
			WaitingFor: wait.ForHTTP("/config/").WithPort(strconv.Itoa(adminPort) + "/tcp").
				WithPollInterval(50 * time.Millisecond).WithStartupTimeout(15 * time.Second),
		},
		Started: true,
	})
	testcontainers.CleanupContainer(t, ctr)
	t.Cleanup(func() {
		if !t.Failed() || ctr == nil {
			return
		}
		rc, err := ctr.Logs(context.Background())
		if err != nil {
			t.Logf("caddy logs: %v", err)
			return
		}
		defer rc.Close()
		out, _ := io.ReadAll(rc)
		t.Logf("caddy output:\n%s", out)
	})
	if err != nil {
		t.Fatalf("caddy container: admin API at %s did not answer: %v", admin, err)
	}
	return "http://" + admin
}

// copyFile copies src to dst (mode 0755), failing the test on an error.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(dst, b, 0o755)
	}
	if err != nil {
		t.Fatalf("copy %s: %v", filepath.Base(src), err)
	}
}

// viaProxy sends GET / to the proxy at addr with Host host, and returns status and body.
func viaProxy(t *testing.T, addr, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	c := &http.Client{Timeout: 5 * time.Second}
	var last error
	for range 50 {
		resp, err := c.Do(req)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	t.Fatalf("GET via proxy %s (Host %s): %v", addr, host, last)
	return 0, ""
}

// hostnameOf is the container's host name, which the test image prints in its answer.
func hostnameOf(t *testing.T, cli *client.Client, env string) string {
	t.Helper()
	res, err := cli.ContainerInspect(t.Context(), env, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", env, err)
	}
	return res.Container.Config.Hostname
}

func prEnv(n int) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("pr-%d-%s", n, hex.EncodeToString(b))
}

// TestPublicURLThroughCaddy deploys two environments from the same config (the same fixed host
// port, which public_url leaves to the engine) on the real engine, with routes loaded into a
// real Caddy, and checks that a request with each environment's public host name reaches that
// environment's container, that stop, start and destroy change the routes, and that the public
// URL is the environment's URL.
func TestPublicURLThroughCaddy(t *testing.T) {
	admin := startCaddy(t)
	needEngine(t)
	cli := rawClient(t)
	listen := fmt.Sprintf("127.0.0.1:%d", testports.Free(t))
	_, port, _ := strings.Cut(listen, ":")
	p := newProvider(t, docker.Config{
		PublicURL:   "http://{env}.preview.test:" + port,
		CaddyAdmin:  admin,
		CaddyListen: listen,
	})
	sameConfig := func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{"18080:8080"}}
	}
	envs := []string{prEnv(1), prEnv(2)}
	for _, env := range envs {
		dep := deployed(t, p, newSpec(env, image1, sameConfig), nil)
		want := "http://" + env + ".preview.test:" + port
		if dep.Connection == nil || dep.Connection.HTTPURL != want {
			t.Fatalf("Deploy(%s).Connection = %+v, want HTTPURL %s", env, dep.Connection, want)
		}
		if !strings.Contains(strings.Join(dep.Warnings, "\n"), "host port 18080 is left to the engine") {
			t.Errorf("Deploy(%s) warnings = %q, want one about host port 18080", env, dep.Warnings)
		}
	}
	for _, env := range envs {
		status, body := viaProxy(t, listen, env+".preview.test:"+port)
		if want := hostnameOf(t, cli, env); status != http.StatusOK || !strings.Contains(body, "sindri-test ok "+want) {
			t.Errorf("Host %s: got %d %q, want 200 from container host %s", env, status, body, want)
		}
	}
	if _, body := viaProxy(t, listen, "pr-3-nobody.preview.test"); strings.Contains(body, "sindri-test ok") {
		t.Errorf("an unknown host reached an environment: %q", body)
	}

	// A Caddy that lost its routes (restarted without --resume, reloaded by hand) gets them back
	// from the executor's housekeeping pass.
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodDelete, admin+"/config/apps/http/servers/sindri_previews", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE the routes from Caddy: %s", res.Status)
	}
	// With its server gone Caddy no longer listens there: the name does not answer.
	gone, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, "http://"+listen+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	gone.Host = envs[0] + ".preview.test:" + port
	if res, err := (&http.Client{Timeout: 5 * time.Second}).Do(gone); err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), "sindri-test ok") {
			t.Fatalf("the routes were not removed from Caddy: %s %q", res.Status, body)
		}
	}
	if err := p.Maintain(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, env := range envs {
		if status, body := viaProxy(t, listen, env+".preview.test:"+port); status != http.StatusOK || !strings.Contains(body, "sindri-test ok "+hostnameOf(t, cli, env)) {
			t.Errorf("after Maintain, Host %s: got %d %q, want the environment's answer", env, status, body)
		}
	}

	st, err := p.Status(testCtx(t), newSpec(envs[0], image1, sameConfig))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Addresses) == 0 || st.Addresses[0].Value != "http://"+envs[0]+".preview.test:"+port {
		t.Errorf("Status addresses = %+v, want the public URL first", st.Addresses)
	}

	// Stop removes the route; Start brings it back on the new host port the engine picked.
	s0 := newSpec(envs[0], image1, sameConfig)
	if err := p.Stop(testCtx(t), s0); err != nil {
		t.Fatal(err)
	}
	if _, body := viaProxy(t, listen, envs[0]+".preview.test"); strings.Contains(body, "sindri-test ok") {
		t.Errorf("a stopped environment still answers through the proxy: %q", body)
	}
	if err := p.Start(testCtx(t), s0); err != nil {
		t.Fatal(err)
	}
	if status, body := viaProxy(t, listen, envs[0]+".preview.test"); status != http.StatusOK || !strings.Contains(body, hostnameOf(t, cli, envs[0])) {
		t.Errorf("after Start: got %d %q, want the environment's answer", status, body)
	}

	if err := p.Destroy(testCtx(t), newSpec(envs[1], image1, sameConfig)); err != nil {
		t.Fatal(err)
	}
	if _, body := viaProxy(t, listen, envs[1]+".preview.test"); strings.Contains(body, "sindri-test ok") {
		t.Errorf("a destroyed environment still answers through the proxy: %q", body)
	}
	if status, _ := viaProxy(t, listen, envs[0]+".preview.test"); status != http.StatusOK {
		t.Errorf("destroying %s broke %s's route: status %d", envs[1], envs[0], status)
	}
}

// TestPublicURLProxyDown: a deploy whose routes Caddy cannot take fails as unavailable
// (retryable) and leaves nothing behind, instead of reporting a URL that does not answer.
func TestPublicURLProxyDown(t *testing.T) {
	needEngine(t)
	cli := rawClient(t)
	p := newProvider(t, docker.Config{
		PublicURL:  "https://{env}.preview.example.com",
		CaddyAdmin: fmt.Sprintf("http://127.0.0.1:%d", testports.Free(t)), // nothing listens
	})
	s := newSpec(uniqueEnv("proxydown"), image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{"18080:8080"}}
	})
	destroyOnCleanup(t, newProvider(t, docker.Config{}), s) // p's Destroy would fail the same way
	_, err := p.Deploy(testCtx(t), s, nil)
	wantErrIs(t, err, providers.ErrUnavailable)
	if !strings.Contains(err.Error(), "caddy_admin") {
		t.Errorf("error %q does not name the caddy_admin setting", err)
	}
	if left := leftovers(t, cli, s.Env); len(left) != 0 {
		t.Errorf("leftovers after failed Deploy: %v", left)
	}
	// Destroy fails the same way (retryable) rather than leave a route behind unnoticed.
	if err := p.Destroy(testCtx(t), s); !errors.Is(err, providers.ErrUnavailable) {
		t.Errorf("Destroy with Caddy down = %v, want ErrUnavailable", err)
	}
}
